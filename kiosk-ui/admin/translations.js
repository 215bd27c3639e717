// The chat's guest texts in the property's other languages (CHAT-5): one block a
// language, each field showing the default-language text it translates. An empty field
// falls back to that text, so a half-translated chat still speaks.
import { el } from '/common/api.js';
import { field } from '/common/forms.js';

/** "ru" → "Русский (ru)", in the language itself. */
export function languageName(tag) {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag);
    return name ? `${name[0].toUpperCase()}${name.slice(1)} (${tag})` : tag;
  } catch {
    return tag;
  }
}

const slug = (tag) => tag.replace(/[^a-zA-Z0-9]/g, '');

/**
 * The editor for `languages` (the property's, the first being the default) over the
 * settings `s`; `draft()` reads the default-language form as it stands now. `apply(out)`
 * writes the maps into settings about to be saved; `refresh()` redraws after the
 * keyword answers or page messages changed.
 */
export function translationsEditor(s, languages, draft) {
  const [first, ...others] = languages;
  const maps = {
    titles: { ...s.widget.titles }, welcome_texts: { ...s.widget.welcome_texts },
    consent: { ...s.consent.texts }, bot: { ...s.automation.welcome_messages },
  };
  // Keyword answers and page messages are matched by their default text, so editing the
  // list above keeps each translation with the line it belongs to.
  const answers = new Map(s.automation.keyword_answers.map((k) => [k.keywords.join(', '), { ...k.answers }]));
  const pages = new Map(s.automation.page_messages.map((p) => [p.text, { ...p.texts }]));
  const root = el('div', { id: 'chat-translations' });

  const text = (map, tag, max, multi, label, id, original) => {
    const attrs = { maxlength: max, placeholder: original || '', 'data-lang': tag };
    const box = multi ? el('textarea', attrs, map[tag] || '') : el('input', { ...attrs, value: map[tag] || '' });
    box.addEventListener('input', () => { map[tag] = box.value; });
    return field(id, label, box);
  };
  const refresh = () => {
    if (others.length === 0) {
      root.replaceChildren(el('p', { class: 'muted' },
        `Guests read these texts in ${languageName(first)}. Add languages under Property to write them in others too.`));
      return;
    }
    const d = draft();
    root.replaceChildren(
      el('p', { class: 'muted' }, `Guests whose language is not listed read ${languageName(first)}. An empty field uses the ${languageName(first)} text shown in it.`),
      ...others.map((tag) => el('fieldset', { class: 'translation', lang: tag },
        el('legend', {}, languageName(tag)),
        text(maps.titles, tag, 60, false, 'Title', `t-${slug(tag)}-title`, d.widget.title),
        text(maps.welcome_texts, tag, 500, true, 'Welcome text', `t-${slug(tag)}-welcome`, d.widget.welcome_text),
        text(maps.consent, tag, 1000, true, 'Consent text', `t-${slug(tag)}-consent`, d.consent.text),
        text(maps.bot, tag, 1000, true, 'Welcome message in a new chat', `t-${slug(tag)}-bot`, d.automation.welcome_message),
        d.automation.keyword_answers.map((k, i) => {
          const key = k.keywords.join(', ');
          if (!answers.has(key)) answers.set(key, {});
          return text(answers.get(key), tag, 1000, true, `Answer to “${key}”`, `t-${slug(tag)}-kw${i}`, k.answer);
        }),
        d.automation.page_messages.map((p, i) => {
          if (!pages.has(p.text)) pages.set(p.text, {});
          return text(pages.get(p.text), tag, 1000, true, `Page message on “${p.url_contains || 'every page'}”`,
            `t-${slug(tag)}-page${i}`, p.text);
        }))));
  };
  // Only the property's languages are kept: one removed there stops being sent.
  const only = (map) => Object.fromEntries(others.filter((t) => map[t]?.trim()).map((t) => [t, map[t]]));
  const apply = (out) => {
    out.widget.titles = only(maps.titles);
    out.widget.welcome_texts = only(maps.welcome_texts);
    out.consent.texts = only(maps.consent);
    out.automation.welcome_messages = only(maps.bot);
    for (const k of out.automation.keyword_answers) k.answers = only(answers.get(k.keywords.join(', ')) || {});
    for (const p of out.automation.page_messages) p.texts = only(pages.get(p.text) || {});
    return out;
  };
  refresh();
  return { element: root, apply, refresh };
}
