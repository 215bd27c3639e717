//! The guest page's own words in the languages a small hotel's guests most often read
//! (GUEST-9): English, Russian, German, French, Spanish and Portuguese, and which one a
//! guest gets from the phone's `Accept-Language` (RFC 9110 §12.5.4) or their choice.

/// Every built-in word of the guest page in one language.
pub struct Words {
    pub tag: &'static str,
    /// The language's own name, for the switch.
    pub name: &'static str,
    pub local_time: &'static str,
    pub weather: &'static str,
    pub now: &'static str,
    pub next_hours: &'static str,
    pub next_days: &'static str,
    pub sunrise: &'static str,
    pub sunset: &'static str,
    pub polar_day: &'static str,
    pub polar_night: &'static str,
    /// `{n}` is a number of minutes.
    pub updated_minutes: &'static str,
    /// `{n}` is a number of hours.
    pub updated_hours: &'static str,
    pub stale: &'static str,
    pub no_forecast: &'static str,
    pub information: &'static str,
    pub wifi: &'static str,
    pub network: &'static str,
    pub password: &'static str,
    pub scan_to_join: &'static str,
    pub check_in: &'static str,
    pub check_out: &'static str,
    pub house_rules: &'static str,
    pub breakfast: &'static str,
    pub places: &'static str,
    pub directions: &'static str,
    pub call: &'static str,
    pub website: &'static str,
    pub chat: &'static str,
    pub chat_hint: &'static str,
    pub language: &'static str,
    pub not_found: &'static str,
    pub not_found_hint: &'static str,
    pub my_stay: &'static str,
    pub guest: &'static str,
    pub arrival: &'static str,
    pub departure: &'static str,
    pub open_stay: &'static str,
    pub reference: &'static str,
    pub surname: &'static str,
    pub open: &'static str,
    pub stay_not_found: &'static str,
    pub link_expired: &'static str,
    pub link_expired_hint: &'static str,
    pub too_many: &'static str,
    /// Place categories, in [`CATEGORIES`] order.
    pub categories: [&'static str; 11],
    /// Skies by WMO code group, in [`sky`]'s order.
    pub skies: [&'static str; 9],
}

/// Place categories the directory groups by (GUEST-4).
pub const CATEGORIES: [&str; 11] = [
    "taxi",
    "restaurant",
    "cafe",
    "shop",
    "pharmacy",
    "hospital",
    "parking",
    "transport",
    "beach",
    "sight",
    "other",
];

/// The group of a WMO weather code (Open-Meteo's `weather_code`, WMO 4677): clear, mainly
/// clear, cloudy, fog, drizzle, rain, snow, showers, thunderstorm.
pub fn sky(code: i64) -> usize {
    match code {
        0 => 0,
        1 | 2 => 1,
        3 => 2,
        45 | 48 => 3,
        51..=57 => 4,
        61..=67 => 5,
        71..=77 | 85 | 86 => 6,
        80..=82 => 7,
        95..=99 => 8,
        _ => 2,
    }
}

/// A symbol for the same groups.
pub const SKY_SYMBOLS: [&str; 9] = ["☀️", "🌤️", "☁️", "🌫️", "🌦️", "🌧️", "🌨️", "🌦️", "⛈️"];

pub const ALL: [&Words; 6] = [&EN, &RU, &DE, &FR, &ES, &PT];

/// The words for `tag` ("ru", "pt-BR"), English when there are none.
pub fn of(tag: &str) -> &'static Words {
    let primary = tag
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ALL.iter()
        .find(|w| w.tag == primary)
        .copied()
        .unwrap_or(&EN)
}

/// The language to show: the guest's choice when we have it, else the first of the
/// phone's `Accept-Language` ranges we have (by weight), else English.
pub fn choose(chosen: Option<&str>, accept_language: &str) -> &'static Words {
    let have = |tag: &str| {
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        ALL.iter().find(|w| w.tag == primary).copied()
    };
    if let Some(w) = chosen.and_then(have) {
        return w;
    }
    let mut ranges: Vec<(f32, &str)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0).then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the phone's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.into_iter().find_map(|(_, t)| have(t)).unwrap_or(&EN)
}

pub static EN: Words = Words {
    tag: "en",
    name: "English",
    local_time: "Local time",
    weather: "Weather",
    now: "Now",
    next_hours: "Next hours",
    next_days: "Next days",
    sunrise: "Sunrise",
    sunset: "Sunset",
    polar_day: "The sun does not set today",
    polar_night: "The sun does not rise today",
    updated_minutes: "updated {n} min ago",
    updated_hours: "updated {n} h ago",
    stale: "We could not get a newer forecast; this is the last one we have.",
    no_forecast: "The forecast is not available yet.",
    information: "Good to know",
    wifi: "Wi-Fi",
    network: "Network",
    password: "Password",
    scan_to_join: "Scan with your camera to join",
    check_in: "Check-in",
    check_out: "Check-out",
    house_rules: "House rules",
    breakfast: "Breakfast",
    places: "Places nearby",
    directions: "Directions",
    call: "Call",
    website: "Website",
    chat: "Chat with us",
    chat_hint: "Write to the reception at any time: the chat button is at the bottom of the page.",
    language: "Language",
    not_found: "This page does not exist",
    not_found_hint: "Please scan the code in your room again, or ask at the reception.",
    my_stay: "My stay",
    guest: "Guest",
    arrival: "Arrival",
    departure: "Departure",
    open_stay: "Open your booking with its reference and your surname.",
    reference: "Booking reference",
    surname: "Surname",
    open: "Open",
    stay_not_found: "We could not find this booking for this room. Check the reference and surname, or ask at the reception.",
    link_expired: "This link no longer works",
    link_expired_hint: "The stay it was for has ended. Thank you for staying with us!",
    too_many: "Too many attempts. Please wait a few minutes or ask at the reception.",
    categories: [
        "Taxi",
        "Restaurants",
        "Cafés",
        "Shops",
        "Pharmacies",
        "Hospitals",
        "Parking",
        "Transport",
        "Beaches",
        "Sights",
        "Other",
    ],
    skies: [
        "Clear",
        "Partly cloudy",
        "Cloudy",
        "Fog",
        "Drizzle",
        "Rain",
        "Snow",
        "Showers",
        "Thunderstorm",
    ],
};

pub static RU: Words = Words {
    tag: "ru",
    name: "Русский",
    local_time: "Местное время",
    weather: "Погода",
    now: "Сейчас",
    next_hours: "Ближайшие часы",
    next_days: "Ближайшие дни",
    sunrise: "Восход",
    sunset: "Закат",
    polar_day: "Сегодня солнце не заходит",
    polar_night: "Сегодня солнце не восходит",
    updated_minutes: "обновлено {n} мин назад",
    updated_hours: "обновлено {n} ч назад",
    stale: "Не удалось получить свежий прогноз; это последний, который у нас есть.",
    no_forecast: "Прогноз пока недоступен.",
    information: "Полезно знать",
    wifi: "Wi-Fi",
    network: "Сеть",
    password: "Пароль",
    scan_to_join: "Наведите камеру, чтобы подключиться",
    check_in: "Заезд",
    check_out: "Выезд",
    house_rules: "Правила проживания",
    breakfast: "Завтрак",
    places: "Места поблизости",
    directions: "Маршрут",
    call: "Позвонить",
    website: "Сайт",
    chat: "Напишите нам",
    chat_hint: "Пишите на ресепшн в любое время: кнопка чата внизу страницы.",
    language: "Язык",
    not_found: "Такой страницы нет",
    not_found_hint: "Отсканируйте код в номере ещё раз или спросите на ресепшене.",
    my_stay: "Моё бронирование",
    guest: "Гость",
    arrival: "Заезд",
    departure: "Выезд",
    open_stay: "Откройте бронирование по его номеру и вашей фамилии.",
    reference: "Номер бронирования",
    surname: "Фамилия",
    open: "Открыть",
    stay_not_found: "Мы не нашли такого бронирования для этого номера. Проверьте номер и фамилию или спросите на ресепшене.",
    link_expired: "Эта ссылка больше не работает",
    link_expired_hint: "Проживание, для которого она была, закончилось. Спасибо, что остановились у нас!",
    too_many: "Слишком много попыток. Подождите несколько минут или спросите на ресепшене.",
    categories: [
        "Такси",
        "Рестораны",
        "Кафе",
        "Магазины",
        "Аптеки",
        "Больницы",
        "Парковка",
        "Транспорт",
        "Пляжи",
        "Достопримечательности",
        "Другое",
    ],
    skies: [
        "Ясно",
        "Переменная облачность",
        "Облачно",
        "Туман",
        "Морось",
        "Дождь",
        "Снег",
        "Ливни",
        "Гроза",
    ],
};

pub static DE: Words = Words {
    tag: "de",
    name: "Deutsch",
    local_time: "Ortszeit",
    weather: "Wetter",
    now: "Jetzt",
    next_hours: "Die nächsten Stunden",
    next_days: "Die nächsten Tage",
    sunrise: "Sonnenaufgang",
    sunset: "Sonnenuntergang",
    polar_day: "Die Sonne geht heute nicht unter",
    polar_night: "Die Sonne geht heute nicht auf",
    updated_minutes: "vor {n} Min. aktualisiert",
    updated_hours: "vor {n} Std. aktualisiert",
    stale: "Wir konnten keine neuere Vorhersage abrufen; dies ist die letzte, die wir haben.",
    no_forecast: "Die Vorhersage ist noch nicht verfügbar.",
    information: "Gut zu wissen",
    wifi: "WLAN",
    network: "Netzwerk",
    password: "Passwort",
    scan_to_join: "Mit der Kamera scannen, um sich zu verbinden",
    check_in: "Check-in",
    check_out: "Check-out",
    house_rules: "Hausordnung",
    breakfast: "Frühstück",
    places: "In der Nähe",
    directions: "Route",
    call: "Anrufen",
    website: "Webseite",
    chat: "Schreiben Sie uns",
    chat_hint: "Schreiben Sie der Rezeption jederzeit: Der Chat-Knopf ist unten auf der Seite.",
    language: "Sprache",
    not_found: "Diese Seite gibt es nicht",
    not_found_hint:
        "Bitte scannen Sie den Code in Ihrem Zimmer erneut oder fragen Sie an der Rezeption.",
    my_stay: "Mein Aufenthalt",
    guest: "Gast",
    arrival: "Anreise",
    departure: "Abreise",
    open_stay: "Öffnen Sie Ihre Buchung mit der Buchungsnummer und Ihrem Nachnamen.",
    reference: "Buchungsnummer",
    surname: "Nachname",
    open: "Öffnen",
    stay_not_found: "Wir haben diese Buchung für dieses Zimmer nicht gefunden. Prüfen Sie Nummer und Nachnamen oder fragen Sie an der Rezeption.",
    link_expired: "Dieser Link funktioniert nicht mehr",
    link_expired_hint: "Der Aufenthalt, für den er galt, ist vorbei. Danke, dass Sie bei uns waren!",
    too_many: "Zu viele Versuche. Bitte warten Sie einige Minuten oder fragen Sie an der Rezeption.",
    categories: [
        "Taxi",
        "Restaurants",
        "Cafés",
        "Geschäfte",
        "Apotheken",
        "Krankenhäuser",
        "Parken",
        "Verkehr",
        "Strände",
        "Sehenswürdigkeiten",
        "Sonstiges",
    ],
    skies: [
        "Klar",
        "Teils bewölkt",
        "Bewölkt",
        "Nebel",
        "Nieselregen",
        "Regen",
        "Schnee",
        "Schauer",
        "Gewitter",
    ],
};

pub static FR: Words = Words {
    tag: "fr",
    name: "Français",
    local_time: "Heure locale",
    weather: "Météo",
    now: "Maintenant",
    next_hours: "Prochaines heures",
    next_days: "Prochains jours",
    sunrise: "Lever du soleil",
    sunset: "Coucher du soleil",
    polar_day: "Le soleil ne se couche pas aujourd'hui",
    polar_night: "Le soleil ne se lève pas aujourd'hui",
    updated_minutes: "mis à jour il y a {n} min",
    updated_hours: "mis à jour il y a {n} h",
    stale: "Nous n'avons pas pu obtenir de prévision plus récente ; voici la dernière.",
    no_forecast: "La prévision n'est pas encore disponible.",
    information: "Bon à savoir",
    wifi: "Wi-Fi",
    network: "Réseau",
    password: "Mot de passe",
    scan_to_join: "Scannez avec l'appareil photo pour vous connecter",
    check_in: "Arrivée",
    check_out: "Départ",
    house_rules: "Règlement intérieur",
    breakfast: "Petit-déjeuner",
    places: "À proximité",
    directions: "Itinéraire",
    call: "Appeler",
    website: "Site",
    chat: "Écrivez-nous",
    chat_hint:
        "Écrivez à la réception à tout moment : le bouton de discussion est en bas de la page.",
    language: "Langue",
    not_found: "Cette page n'existe pas",
    not_found_hint: "Scannez à nouveau le code de votre chambre ou demandez à la réception.",
    my_stay: "Mon séjour",
    guest: "Client",
    arrival: "Arrivée",
    departure: "Départ",
    open_stay: "Ouvrez votre réservation avec son numéro et votre nom de famille.",
    reference: "Numéro de réservation",
    surname: "Nom de famille",
    open: "Ouvrir",
    stay_not_found: "Nous n'avons pas trouvé cette réservation pour cette chambre. Vérifiez le numéro et le nom, ou demandez à la réception.",
    link_expired: "Ce lien ne fonctionne plus",
    link_expired_hint: "Le séjour pour lequel il était prévu est terminé. Merci d'avoir séjourné chez nous !",
    too_many: "Trop de tentatives. Patientez quelques minutes ou demandez à la réception.",
    categories: [
        "Taxis",
        "Restaurants",
        "Cafés",
        "Boutiques",
        "Pharmacies",
        "Hôpitaux",
        "Parkings",
        "Transports",
        "Plages",
        "À voir",
        "Autres",
    ],
    skies: [
        "Dégagé",
        "Partiellement nuageux",
        "Nuageux",
        "Brouillard",
        "Bruine",
        "Pluie",
        "Neige",
        "Averses",
        "Orage",
    ],
};

pub static ES: Words = Words {
    tag: "es",
    name: "Español",
    local_time: "Hora local",
    weather: "Tiempo",
    now: "Ahora",
    next_hours: "Próximas horas",
    next_days: "Próximos días",
    sunrise: "Amanecer",
    sunset: "Atardecer",
    polar_day: "Hoy el sol no se pone",
    polar_night: "Hoy el sol no sale",
    updated_minutes: "actualizado hace {n} min",
    updated_hours: "actualizado hace {n} h",
    stale: "No pudimos obtener un pronóstico más reciente; este es el último que tenemos.",
    no_forecast: "El pronóstico aún no está disponible.",
    information: "Conviene saber",
    wifi: "Wi-Fi",
    network: "Red",
    password: "Contraseña",
    scan_to_join: "Escanee con la cámara para conectarse",
    check_in: "Entrada",
    check_out: "Salida",
    house_rules: "Normas de la casa",
    breakfast: "Desayuno",
    places: "Cerca de aquí",
    directions: "Cómo llegar",
    call: "Llamar",
    website: "Sitio web",
    chat: "Escríbanos",
    chat_hint: "Escriba a la recepción cuando quiera: el botón del chat está al pie de la página.",
    language: "Idioma",
    not_found: "Esta página no existe",
    not_found_hint: "Vuelva a escanear el código de su habitación o pregunte en recepción.",
    my_stay: "Mi estancia",
    guest: "Huésped",
    arrival: "Llegada",
    departure: "Salida",
    open_stay: "Abra su reserva con su número y su apellido.",
    reference: "Número de reserva",
    surname: "Apellido",
    open: "Abrir",
    stay_not_found: "No encontramos esta reserva para esta habitación. Compruebe el número y el apellido, o pregunte en recepción.",
    link_expired: "Este enlace ya no funciona",
    link_expired_hint: "La estancia para la que era ha terminado. ¡Gracias por alojarse con nosotros!",
    too_many: "Demasiados intentos. Espere unos minutos o pregunte en recepción.",
    categories: [
        "Taxis",
        "Restaurantes",
        "Cafeterías",
        "Tiendas",
        "Farmacias",
        "Hospitales",
        "Aparcamiento",
        "Transporte",
        "Playas",
        "Lugares de interés",
        "Otros",
    ],
    skies: [
        "Despejado",
        "Parcialmente nublado",
        "Nublado",
        "Niebla",
        "Llovizna",
        "Lluvia",
        "Nieve",
        "Chubascos",
        "Tormenta",
    ],
};

pub static PT: Words = Words {
    tag: "pt",
    name: "Português",
    local_time: "Hora local",
    weather: "Tempo",
    now: "Agora",
    next_hours: "Próximas horas",
    next_days: "Próximos dias",
    sunrise: "Nascer do sol",
    sunset: "Pôr do sol",
    polar_day: "Hoje o sol não se põe",
    polar_night: "Hoje o sol não nasce",
    updated_minutes: "atualizado há {n} min",
    updated_hours: "atualizado há {n} h",
    stale: "Não conseguimos obter uma previsão mais recente; esta é a última que temos.",
    no_forecast: "A previsão ainda não está disponível.",
    information: "Bom saber",
    wifi: "Wi-Fi",
    network: "Rede",
    password: "Palavra-passe",
    scan_to_join: "Leia com a câmara para se ligar",
    check_in: "Entrada",
    check_out: "Saída",
    house_rules: "Regras da casa",
    breakfast: "Pequeno-almoço",
    places: "Perto daqui",
    directions: "Direções",
    call: "Ligar",
    website: "Site",
    chat: "Escreva-nos",
    chat_hint: "Escreva à receção a qualquer momento: o botão da conversa está no fundo da página.",
    language: "Idioma",
    not_found: "Esta página não existe",
    not_found_hint: "Leia de novo o código do seu quarto ou pergunte na receção.",
    my_stay: "A minha estadia",
    guest: "Hóspede",
    arrival: "Chegada",
    departure: "Partida",
    open_stay: "Abra a sua reserva com o número e o seu apelido.",
    reference: "Número da reserva",
    surname: "Apelido",
    open: "Abrir",
    stay_not_found: "Não encontrámos esta reserva para este quarto. Verifique o número e o apelido, ou pergunte na receção.",
    link_expired: "Esta ligação já não funciona",
    link_expired_hint: "A estadia a que se referia terminou. Obrigado por ter ficado connosco!",
    too_many: "Demasiadas tentativas. Aguarde alguns minutos ou pergunte na receção.",
    categories: [
        "Táxis",
        "Restaurantes",
        "Cafés",
        "Lojas",
        "Farmácias",
        "Hospitais",
        "Estacionamento",
        "Transportes",
        "Praias",
        "Pontos de interesse",
        "Outros",
    ],
    skies: [
        "Céu limpo",
        "Pouco nublado",
        "Nublado",
        "Nevoeiro",
        "Chuvisco",
        "Chuva",
        "Neve",
        "Aguaceiros",
        "Trovoada",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_language_is_read_by_weight_and_a_choice_wins() {
        assert_eq!(choose(None, "ru-RU,ru;q=0.9,en-US;q=0.8").tag, "ru");
        assert_eq!(choose(None, "en;q=0.5, de-AT").tag, "de");
        assert_eq!(choose(None, "ja, zh;q=0.9").tag, "en");
        assert_eq!(choose(None, "garbage;q=x,,;").tag, "en");
        assert_eq!(choose(Some("pt-BR"), "ru").tag, "pt");
        assert_eq!(choose(Some("xx"), "fr-CA").tag, "fr");
    }
}
