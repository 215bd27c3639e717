// The kiosk's own words in the languages a small hotel's guests most often read (DESK-2).
export const WORDS = {
  en: {
    done: 'Done: clear my chat', tooMany: 'Too many wrong codes from this tablet. Wait {n} min, then try a new code.',
    name: 'English', pairTitle: 'Pair this tablet', pairHint: 'In the admin app, open Front desk, make a pairing code for this tablet and type it here.',
    code: 'Pairing code', pair: 'Pair', connecting: 'Connecting to the hotel…', reconnecting: 'Reconnecting…',
    wifi: 'Wi-Fi', network: 'Network', password: 'Password', scanWifi: 'Scan to join the Wi-Fi',
    guide: 'The hotel’s guide', scanGuide: 'Scan for the weather, places nearby, your stay and a chat with us',
    write: 'Write to reception', touch: 'Touch here to write to reception', updated: 'updated {n} min ago',
    sunrise: 'Sunrise', sunset: 'Sunset', language: 'Language',
  },
  ru: {
    done: 'Готово: стереть мой чат', tooMany: 'Слишком много неверных кодов с этого планшета. Подождите {n} мин и введите новый код.',
    name: 'Русский', pairTitle: 'Подключить планшет', pairHint: 'В приложении администратора откройте «Front desk», создайте код для этого планшета и введите его здесь.',
    code: 'Код', pair: 'Подключить', connecting: 'Подключаемся к отелю…', reconnecting: 'Переподключение…',
    wifi: 'Wi-Fi', network: 'Сеть', password: 'Пароль', scanWifi: 'Отсканируйте, чтобы подключиться к Wi-Fi',
    guide: 'Путеводитель отеля', scanGuide: 'Отсканируйте: погода, места рядом, ваше бронирование и чат с нами',
    write: 'Написать на ресепшен', touch: 'Коснитесь, чтобы написать на ресепшен', updated: 'обновлено {n} мин назад',
    sunrise: 'Восход', sunset: 'Закат', language: 'Язык',
  },
  de: {
    done: 'Fertig: meinen Chat löschen', tooMany: 'Zu viele falsche Codes von diesem Tablet. Warten Sie {n} Min. und versuchen Sie einen neuen Code.',
    name: 'Deutsch', pairTitle: 'Tablet koppeln', pairHint: 'Öffnen Sie in der Admin-App „Front desk“, erstellen Sie einen Code für dieses Tablet und geben Sie ihn hier ein.',
    code: 'Kopplungscode', pair: 'Koppeln', connecting: 'Verbindung zum Hotel…', reconnecting: 'Verbinde neu…',
    wifi: 'WLAN', network: 'Netzwerk', password: 'Passwort', scanWifi: 'Scannen, um ins WLAN zu kommen',
    guide: 'Der Hotelführer', scanGuide: 'Scannen: Wetter, Orte in der Nähe, Ihr Aufenthalt und Chat mit uns',
    write: 'Der Rezeption schreiben', touch: 'Hier tippen, um der Rezeption zu schreiben', updated: 'vor {n} Min. aktualisiert',
    sunrise: 'Sonnenaufgang', sunset: 'Sonnenuntergang', language: 'Sprache',
  },
  fr: {
    done: 'Terminé : effacer ma discussion', tooMany: 'Trop de codes erronés depuis cette tablette. Attendez {n} min, puis essayez un nouveau code.',
    name: 'Français', pairTitle: 'Associer cette tablette', pairHint: 'Dans l’application d’administration, ouvrez « Front desk », créez un code pour cette tablette et saisissez-le ici.',
    code: 'Code d’association', pair: 'Associer', connecting: 'Connexion à l’hôtel…', reconnecting: 'Reconnexion…',
    wifi: 'Wi-Fi', network: 'Réseau', password: 'Mot de passe', scanWifi: 'Scannez pour rejoindre le Wi-Fi',
    guide: 'Le guide de l’hôtel', scanGuide: 'Scannez : météo, adresses utiles, votre séjour et un chat avec nous',
    write: 'Écrire à la réception', touch: 'Touchez ici pour écrire à la réception', updated: 'mis à jour il y a {n} min',
    sunrise: 'Lever du soleil', sunset: 'Coucher du soleil', language: 'Langue',
  },
  es: {
    done: 'Listo: borrar mi chat', tooMany: 'Demasiados códigos erróneos desde esta tableta. Espere {n} min y pruebe un código nuevo.',
    name: 'Español', pairTitle: 'Vincular esta tableta', pairHint: 'En la aplicación de administración, abra «Front desk», cree un código para esta tableta e introdúzcalo aquí.',
    code: 'Código de vinculación', pair: 'Vincular', connecting: 'Conectando con el hotel…', reconnecting: 'Reconectando…',
    wifi: 'Wi-Fi', network: 'Red', password: 'Contraseña', scanWifi: 'Escanee para conectarse al Wi-Fi',
    guide: 'La guía del hotel', scanGuide: 'Escanee: el tiempo, lugares cercanos, su estancia y un chat con nosotros',
    write: 'Escribir a recepción', touch: 'Toque aquí para escribir a recepción', updated: 'actualizado hace {n} min',
    sunrise: 'Amanecer', sunset: 'Atardecer', language: 'Idioma',
  },
  pt: {
    done: 'Concluído: apagar a minha conversa', tooMany: 'Demasiados códigos errados neste tablet. Aguarde {n} min e tente um código novo.',
    name: 'Português', pairTitle: 'Associar este tablet', pairHint: 'Na aplicação de administração, abra «Front desk», crie um código para este tablet e escreva-o aqui.',
    code: 'Código de associação', pair: 'Associar', connecting: 'A ligar ao hotel…', reconnecting: 'A ligar de novo…',
    wifi: 'Wi-Fi', network: 'Rede', password: 'Palavra-passe', scanWifi: 'Leia o código para entrar no Wi-Fi',
    guide: 'O guia do hotel', scanGuide: 'Leia o código: meteorologia, locais próximos, a sua estadia e um chat connosco',
    write: 'Escrever à receção', touch: 'Toque aqui para escrever à receção', updated: 'atualizado há {n} min',
    sunrise: 'Nascer do sol', sunset: 'Pôr do sol', language: 'Idioma',
  },
};

/** The words for `tag` ("ru-RU" reads Russian), else English. */
export function wordsFor(tag) {
  return WORDS[String(tag || '').toLowerCase().split('-')[0]] || WORDS.en;
}
