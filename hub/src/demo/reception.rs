//! The demo's guest page: Seaview's Wi-Fi, times, house rules and breakfast, a welcome in
//! the languages its guests read, and a few places around the house in Lisbon.

use crate::reception::design::{Design, Security, Text, Wifi};
use crate::reception::{Place, Reception};

fn text(default: &str, translations: &[(&str, &str)]) -> Text {
    Text {
        text: default.into(),
        translations: translations
            .iter()
            .map(|(tag, t)| ((*tag).to_owned(), (*t).to_owned()))
            .collect(),
    }
}

/// Designs the page and fills the directory, once: a demo whose owner changed either is
/// left alone.
pub(super) async fn furnish(reception: &Reception) -> anyhow::Result<()> {
    if !reception.places().await?.is_empty() {
        return Ok(());
    }
    let design = Design {
        title: text(
            "Welcome to Seaview",
            &[
                ("ru", "Добро пожаловать в Seaview"),
                ("de", "Willkommen im Seaview"),
                ("fr", "Bienvenue au Seaview"),
                ("es", "Bienvenido a Seaview"),
                ("pt", "Bem-vindo ao Seaview"),
            ],
        ),
        invitation: text(
            "Everything for your stay is here. Write to us at any time: we answer within minutes.",
            &[
                ("ru", "Всё для вашего отдыха — здесь. Пишите нам в любое время: мы отвечаем за несколько минут."),
                ("pt", "Tudo para a sua estadia está aqui. Escreva-nos a qualquer momento: respondemos em minutos."),
            ],
        ),
        city: text(
            "Lisbon",
            &[
                ("ru", "Лиссабон"),
                ("de", "Lissabon"),
                ("fr", "Lisbonne"),
                ("es", "Lisboa"),
                ("pt", "Lisboa"),
            ],
        ),
        wifi: Some(Wifi {
            ssid: "Seaview Guests".into(),
            password: "sea-breeze-2026".into(),
            security: Security::Wpa,
            hidden: false,
        }),
        house_rules: text(
            "Quiet hours from 22:00 to 8:00. No smoking inside the house.",
            &[
                ("ru", "Тихие часы с 22:00 до 8:00. Курение в доме запрещено."),
                ("pt", "Silêncio das 22:00 às 8:00. Não é permitido fumar dentro de casa."),
            ],
        ),
        breakfast: text(
            "7:30 to 10:30 in the garden room.",
            &[
                ("ru", "С 7:30 до 10:30 в садовой комнате."),
                ("pt", "Das 7:30 às 10:30 na sala do jardim."),
            ],
        ),
        weather_by_position: true,
        ..Design::default()
    };
    reception.put_design(design).await?;
    let places = [
        ("taxi", "Táxis Lisboa", "", "+351 21 811 9000", "", None),
        (
            "restaurant",
            "Taberna da Rua",
            "Rua das Flores 12, Lisboa",
            "+351 21 000 0000",
            "https://example.com/taberna",
            Some((38.7101, -9.1425)),
        ),
        (
            "pharmacy",
            "Farmácia Estácio",
            "Rossio 62, Lisboa",
            "+351 21 321 1390",
            "",
            Some((38.7139, -9.1394)),
        ),
        (
            "beach",
            "Praia de Carcavelos",
            "Carcavelos",
            "",
            "",
            Some((38.6780, -9.3366)),
        ),
    ];
    for (category, name, address, phone, website, position) in places {
        reception
            .add_place(Place {
                id: 0,
                category: category.into(),
                name: text(name, &[]),
                notes: Text::default(),
                address: address.into(),
                phone: phone.into(),
                website: website.into(),
                latitude: position.map(|(lat, _)| lat),
                longitude: position.map(|(_, lon)| lon),
            })
            .await?;
    }
    Ok(())
}
