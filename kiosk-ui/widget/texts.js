// The widget's own words in the languages a small hotel's guests most often use. The
// language comes from the chat settings ("auto" follows the guest's browser); anything
// missing falls back to English.
export const TEXTS = {
  en: {
    leadSent: 'We have your message ({time}); we will answer by e-mail.', leadAnother: 'Write another message',
    videoCall: '📹 Video call', voiceCall: '📞 Call us', calling: 'Calling reception…', talkingWith: 'You are talking with {name}',
    hangUp: 'Hang up', mute: 'Mute', unmute: 'Unmute', cameraOff: 'Camera off', cameraOn: 'Camera on', switchCamera: 'Switch camera',
    missed: 'Nobody could answer just now. Write to us here and we will reply as soon as we can.', ended: 'The call has ended.',
    callFailed: 'The call could not be connected.', noMedia: 'Your camera and microphone cannot be used here.', back: 'Back',
    dismiss: 'Dismiss', stars: '{n} of 5 stars', chat: 'Chat',
    botName: "Assistant", botHandoff: "I am passing you to a member of our team; they will answer here shortly.",
    sysJoined: "{name} joined the chat", sysTookOver: "{name} took over the chat", sysLeft: "{name} left the chat",
    sysEnded: "{name} ended the chat", sysClosedIdle: "The chat was closed after a period of inactivity",
    errBlocked: "This chat is not available from your connection.", errUnavailable: "The chat is unavailable right now. Please try again later.",
    errTooLarge: "This message is too long.", errSlowDown: "You are sending messages too fast. Please wait a moment.", errFailed: "The message could not be sent. Please try again.",
    replyWithin: 'We usually answer within {n} min.',
    open: 'Open chat', close: 'Close chat', channels: 'Other ways to reach us', how: 'How would you like to reach us?',
    chatHere: '💬 Chat here', name: 'Your name', email: 'E-mail', phone: 'Phone (optional)', message: 'Your message',
    send: 'Send', thanks: 'Thank you! We will get back to you.', write: 'Write a message…', attach: 'Attach a file',
    policy: 'Privacy policy', accept: 'Accept and start chatting', rate: 'How did we do?', comment: 'A comment (optional)',
    rated: 'Thank you for your rating!', reconnecting: 'Reconnecting…', typing: 'is typing…',
    away: 'We are away right now. Leave us a message and we will answer soon.', sending: 'Sending', fileFailed: 'The file could not be sent.',
  },
  pt: {
    leadSent: 'Recebemos a sua mensagem ({time}); respondemos por e-mail.', leadAnother: 'Escrever outra mensagem',
    videoCall: '📹 Videochamada', voiceCall: '📞 Ligar-nos', calling: 'A ligar para a receção…', talkingWith: 'Está a falar com {name}',
    hangUp: 'Desligar', mute: 'Silenciar', unmute: 'Ligar microfone', cameraOff: 'Desligar câmara', cameraOn: 'Ligar câmara', switchCamera: 'Mudar de câmara',
    missed: 'Ninguém pôde atender agora. Escreva-nos aqui e responderemos assim que possível.', ended: 'A chamada terminou.',
    callFailed: 'Não foi possível ligar a chamada.', noMedia: 'A câmara e o microfone não podem ser usados aqui.', back: 'Voltar',
    dismiss: 'Fechar', stars: '{n} de 5 estrelas', chat: 'Conversa',
    botName: "Assistente", botHandoff: "Vou passá-lo a um membro da nossa equipa; vai responder-lhe aqui em breve.",
    sysJoined: "{name} entrou na conversa", sysTookOver: "{name} assumiu a conversa", sysLeft: "{name} saiu da conversa",
    sysEnded: "{name} terminou a conversa", sysClosedIdle: "A conversa foi fechada por inatividade",
    errBlocked: "Esta conversa não está disponível a partir da sua ligação.", errUnavailable: "A conversa não está disponível de momento. Tente mais tarde.",
    errTooLarge: "Esta mensagem é demasiado longa.", errSlowDown: "Está a enviar mensagens depressa demais. Aguarde um momento.", errFailed: "Não foi possível enviar a mensagem. Tente de novo.",
    replyWithin: 'Costumamos responder em {n} min.',
    open: 'Abrir conversa', close: 'Fechar conversa', channels: 'Outras formas de contacto', how: 'Como prefere falar connosco?',
    chatHere: '💬 Conversar aqui', name: 'O seu nome', email: 'E-mail', phone: 'Telefone (opcional)', message: 'A sua mensagem',
    send: 'Enviar', thanks: 'Obrigado! Entraremos em contacto.', write: 'Escreva uma mensagem…', attach: 'Anexar ficheiro',
    policy: 'Política de privacidade', accept: 'Aceitar e começar', rate: 'Como correu?', comment: 'Um comentário (opcional)',
    rated: 'Obrigado pela sua avaliação!', reconnecting: 'A ligar de novo…', typing: 'está a escrever…',
    away: 'Neste momento não estamos disponíveis. Deixe-nos uma mensagem e responderemos em breve.', sending: 'A enviar', fileFailed: 'Não foi possível enviar o ficheiro.',
  },
  es: {
    leadSent: 'Hemos recibido su mensaje ({time}); le responderemos por correo.', leadAnother: 'Escribir otro mensaje',
    videoCall: '📹 Videollamada', voiceCall: '📞 Llámenos', calling: 'Llamando a recepción…', talkingWith: 'Está hablando con {name}',
    hangUp: 'Colgar', mute: 'Silenciar', unmute: 'Activar micrófono', cameraOff: 'Apagar cámara', cameraOn: 'Encender cámara', switchCamera: 'Cambiar cámara',
    missed: 'Nadie pudo responder ahora. Escríbanos aquí y le contestaremos lo antes posible.', ended: 'La llamada ha terminado.',
    callFailed: 'No se pudo conectar la llamada.', noMedia: 'Aquí no se pueden usar la cámara ni el micrófono.', back: 'Volver',
    dismiss: 'Cerrar', stars: '{n} de 5 estrellas', chat: 'Chat',
    botName: "Asistente", botHandoff: "Le paso con una persona de nuestro equipo; le responderá aquí en breve.",
    sysJoined: "{name} se unió al chat", sysTookOver: "{name} se hizo cargo del chat", sysLeft: "{name} salió del chat",
    sysEnded: "{name} terminó el chat", sysClosedIdle: "El chat se cerró por inactividad",
    errBlocked: "Este chat no está disponible desde su conexión.", errUnavailable: "El chat no está disponible ahora. Inténtelo más tarde.",
    errTooLarge: "Este mensaje es demasiado largo.", errSlowDown: "Está enviando mensajes demasiado rápido. Espere un momento.", errFailed: "No se pudo enviar el mensaje. Inténtelo de nuevo.",
    replyWithin: 'Solemos responder en {n} min.',
    open: 'Abrir chat', close: 'Cerrar chat', channels: 'Otras formas de contacto', how: '¿Cómo prefiere contactarnos?',
    chatHere: '💬 Chatear aquí', name: 'Su nombre', email: 'Correo electrónico', phone: 'Teléfono (opcional)', message: 'Su mensaje',
    send: 'Enviar', thanks: '¡Gracias! Le responderemos pronto.', write: 'Escriba un mensaje…', attach: 'Adjuntar archivo',
    policy: 'Política de privacidad', accept: 'Aceptar y empezar', rate: '¿Qué tal le atendimos?', comment: 'Un comentario (opcional)',
    rated: '¡Gracias por su valoración!', reconnecting: 'Reconectando…', typing: 'está escribiendo…',
    away: 'Ahora no estamos disponibles. Déjenos un mensaje y le responderemos pronto.', sending: 'Enviando', fileFailed: 'No se pudo enviar el archivo.',
  },
  fr: {
    leadSent: 'Nous avons bien reçu votre message ({time}) ; nous répondrons par e-mail.', leadAnother: 'Écrire un autre message',
    videoCall: '📹 Appel vidéo', voiceCall: '📞 Nous appeler', calling: 'Appel de la réception…', talkingWith: 'Vous parlez avec {name}',
    hangUp: 'Raccrocher', mute: 'Couper le micro', unmute: 'Activer le micro', cameraOff: 'Couper la caméra', cameraOn: 'Activer la caméra', switchCamera: 'Changer de caméra',
    missed: 'Personne n’a pu répondre pour l’instant. Écrivez-nous ici, nous répondrons dès que possible.', ended: 'L’appel est terminé.',
    callFailed: 'L’appel n’a pas pu être établi.', noMedia: 'La caméra et le micro ne peuvent pas être utilisés ici.', back: 'Retour',
    dismiss: 'Fermer', stars: '{n} étoiles sur 5', chat: 'Discussion',
    botName: "Assistant", botHandoff: "Je vous passe un membre de notre équipe ; il vous répondra ici sous peu.",
    sysJoined: "{name} a rejoint la discussion", sysTookOver: "{name} a repris la discussion", sysLeft: "{name} a quitté la discussion",
    sysEnded: "{name} a terminé la discussion", sysClosedIdle: "La discussion a été fermée faute d'activité",
    errBlocked: "Ce chat n'est pas disponible depuis votre connexion.", errUnavailable: "Le chat est indisponible pour le moment. Réessayez plus tard.",
    errTooLarge: "Ce message est trop long.", errSlowDown: "Vous envoyez des messages trop vite. Patientez un instant.", errFailed: "Le message n'a pas pu être envoyé. Réessayez.",
    replyWithin: 'Nous répondons en général en {n} min.',
    open: 'Ouvrir le chat', close: 'Fermer le chat', channels: 'Autres moyens de nous joindre', how: 'Comment souhaitez-vous nous joindre ?',
    chatHere: '💬 Discuter ici', name: 'Votre nom', email: 'E-mail', phone: 'Téléphone (facultatif)', message: 'Votre message',
    send: 'Envoyer', thanks: 'Merci ! Nous vous répondrons bientôt.', write: 'Écrivez un message…', attach: 'Joindre un fichier',
    policy: 'Politique de confidentialité', accept: 'Accepter et commencer', rate: 'Comment était notre accueil ?', comment: 'Un commentaire (facultatif)',
    rated: 'Merci pour votre note !', reconnecting: 'Reconnexion…', typing: 'écrit…',
    away: 'Nous sommes absents pour le moment. Laissez-nous un message, nous répondrons vite.', sending: 'Envoi de', fileFailed: "Le fichier n'a pas pu être envoyé.",
  },
  de: {
    leadSent: 'Ihre Nachricht ist angekommen ({time}); wir antworten per E-Mail.', leadAnother: 'Weitere Nachricht schreiben',
    videoCall: '📹 Videoanruf', voiceCall: '📞 Anrufen', calling: 'Rezeption wird angerufen…', talkingWith: 'Sie sprechen mit {name}',
    hangUp: 'Auflegen', mute: 'Stumm', unmute: 'Ton an', cameraOff: 'Kamera aus', cameraOn: 'Kamera an', switchCamera: 'Kamera wechseln',
    missed: 'Gerade konnte niemand antworten. Schreiben Sie uns hier, wir antworten so bald wie möglich.', ended: 'Der Anruf ist beendet.',
    callFailed: 'Der Anruf konnte nicht verbunden werden.', noMedia: 'Kamera und Mikrofon können hier nicht genutzt werden.', back: 'Zurück',
    dismiss: 'Schließen', stars: '{n} von 5 Sternen', chat: 'Chat',
    botName: "Assistent", botHandoff: "Ich verbinde Sie mit jemandem aus unserem Team; Sie erhalten hier gleich eine Antwort.",
    sysJoined: "{name} ist dem Chat beigetreten", sysTookOver: "{name} hat den Chat übernommen", sysLeft: "{name} hat den Chat verlassen",
    sysEnded: "{name} hat den Chat beendet", sysClosedIdle: "Der Chat wurde wegen Inaktivität geschlossen",
    errBlocked: "Dieser Chat ist über Ihre Verbindung nicht verfügbar.", errUnavailable: "Der Chat ist gerade nicht verfügbar. Bitte versuchen Sie es später.",
    errTooLarge: "Diese Nachricht ist zu lang.", errSlowDown: "Sie senden Nachrichten zu schnell. Bitte warten Sie einen Moment.", errFailed: "Die Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
    replyWithin: 'Wir antworten meist innerhalb von {n} Min.',
    open: 'Chat öffnen', close: 'Chat schließen', channels: 'Weitere Kontaktwege', how: 'Wie möchten Sie uns erreichen?',
    chatHere: '💬 Hier chatten', name: 'Ihr Name', email: 'E-Mail', phone: 'Telefon (optional)', message: 'Ihre Nachricht',
    send: 'Senden', thanks: 'Danke! Wir melden uns bei Ihnen.', write: 'Nachricht schreiben…', attach: 'Datei anhängen',
    policy: 'Datenschutzerklärung', accept: 'Zustimmen und loslegen', rate: 'Wie waren wir?', comment: 'Ein Kommentar (optional)',
    rated: 'Danke für Ihre Bewertung!', reconnecting: 'Verbindung wird wiederhergestellt…', typing: 'schreibt…',
    away: 'Wir sind gerade nicht da. Hinterlassen Sie uns eine Nachricht, wir antworten bald.', sending: 'Sende', fileFailed: 'Die Datei konnte nicht gesendet werden.',
  },
  ru: {
    leadSent: 'Ваше сообщение получено ({time}); мы ответим по электронной почте.', leadAnother: 'Написать ещё сообщение',
    videoCall: '📹 Видеозвонок', voiceCall: '📞 Позвонить', calling: 'Звоним на ресепшен…', talkingWith: 'Вы говорите с: {name}',
    hangUp: 'Завершить', mute: 'Выключить микрофон', unmute: 'Включить микрофон', cameraOff: 'Выключить камеру', cameraOn: 'Включить камеру', switchCamera: 'Сменить камеру',
    missed: 'Сейчас никто не смог ответить. Напишите нам здесь, и мы ответим, как только сможем.', ended: 'Звонок завершён.',
    callFailed: 'Не удалось соединиться.', noMedia: 'Камеру и микрофон здесь использовать нельзя.', back: 'Назад',
    dismiss: 'Закрыть', stars: '{n} из 5 звёзд', chat: 'Чат',
    botName: "Ассистент", botHandoff: "Передаю вас сотруднику; он скоро ответит здесь.",
    sysJoined: "{name} присоединился к чату", sysTookOver: "{name} продолжает чат", sysLeft: "{name} покинул чат",
    sysEnded: "{name} завершил чат", sysClosedIdle: "Чат закрыт из-за неактивности",
    errBlocked: "Этот чат недоступен из вашей сети.", errUnavailable: "Чат сейчас недоступен. Попробуйте позже.",
    errTooLarge: "Это сообщение слишком длинное.", errSlowDown: "Вы отправляете сообщения слишком быстро. Подождите немного.", errFailed: "Не удалось отправить сообщение. Попробуйте ещё раз.",
    replyWithin: 'Обычно мы отвечаем в течение {n} мин.',
    open: 'Открыть чат', close: 'Закрыть чат', channels: 'Другие способы связи', how: 'Как вам удобнее с нами связаться?',
    chatHere: '💬 Написать в чат', name: 'Ваше имя', email: 'E-mail', phone: 'Телефон (необязательно)', message: 'Ваше сообщение',
    send: 'Отправить', thanks: 'Спасибо! Мы скоро ответим.', write: 'Напишите сообщение…', attach: 'Прикрепить файл',
    policy: 'Политика конфиденциальности', accept: 'Принять и начать', rate: 'Как мы справились?', comment: 'Комментарий (необязательно)',
    rated: 'Спасибо за оценку!', reconnecting: 'Переподключение…', typing: 'печатает…',
    away: 'Сейчас мы не на связи. Оставьте сообщение, и мы скоро ответим.', sending: 'Отправка', fileFailed: 'Не удалось отправить файл.',
  },
};

/** The words for a language tag ("pt-BR" → pt), or for the browser's with "auto". */
export function textsFor(tag) {
  const wanted = (!tag || tag === 'auto' ? navigator.language || 'en' : tag).toLowerCase().split('-')[0];
  return { ...TEXTS.en, ...(TEXTS[wanted] || {}) };
}

/** Puts the words into every element marked data-t (text), data-t-placeholder, data-t-label. */
export function applyTexts(root, words) {
  root.querySelectorAll('[data-t]').forEach((e) => { e.textContent = words[e.dataset.t]; });
  root.querySelectorAll('[data-t-placeholder]').forEach((e) => { e.placeholder = words[e.dataset.tPlaceholder]; });
  root.querySelectorAll('[data-rating]').forEach((e) => { e.setAttribute('aria-label', words.stars.replace('{n}', e.dataset.rating)); });
  root.querySelectorAll('[data-t-label]').forEach((e) => {
    e.setAttribute('aria-label', words[e.dataset.tLabel]);
    // A tooltip for the buttons drawn as icons only, not for a panel or a text box.
    if (e.tagName === 'BUTTON' || e.getAttribute('role') === 'button') e.title = words[e.dataset.tLabel];
  });
}
