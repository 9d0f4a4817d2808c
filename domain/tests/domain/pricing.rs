use domain::{
    DomainError,
    pricing::{self, NewRegion},
};

use crate::{on_every_backend, seeded};

fn region(name: &str, currency: &str, countries: &[&str]) -> NewRegion {
    NewRegion {
        name: name.into(),
        currency_code: currency.into(),
        tax_rate_basis_points: 1000,
        tax_inclusive: false,
        countries: countries.iter().map(|c| (*c).to_owned()).collect(),
    }
}

#[tokio::test]
async fn the_demo_store_has_a_tax_inclusive_euro_region() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let page = pricing::list_regions(&db, 0, 10).await.unwrap();
        assert_eq!(page.count, 1);
        let europe = &page.regions[0];
        assert_eq!(europe.region.name, "Europe");
        assert_eq!(europe.region.currency_code, "eur");
        assert_eq!(europe.region.tax_rate_basis_points, 2000);
        assert!(europe.region.tax_inclusive);
        assert!(
            europe.countries.contains(&"de".to_owned()),
            "{:?}",
            europe.countries
        );
        let found = pricing::find_region(&db, &europe.region.id).await.unwrap();
        assert_eq!(found.countries, europe.countries);
    })
    .await;
}

#[tokio::test]
async fn creates_regions_sorted_by_name_and_pages_them() {
    on_every_backend(async |db| {
        let japan = pricing::create_region(&db, region("Japan", "JPY", &["JP"]))
            .await
            .unwrap();
        pricing::create_region(&db, region("Americas", "usd", &["us", "ca"]))
            .await
            .unwrap();
        let first = pricing::list_regions(&db, 0, 1).await.unwrap();
        assert_eq!(first.count, 2);
        assert_eq!(first.regions[0].region.name, "Americas");
        assert_eq!(first.regions[0].countries, vec!["ca", "us"]);
        let second = pricing::list_regions(&db, 1, 1).await.unwrap();
        assert_eq!(second.regions[0].region.id, japan);
        assert_eq!(
            second.regions[0].region.currency_code, "jpy",
            "codes are stored lowercase"
        );
        assert_eq!(second.regions[0].countries, vec!["jp"]);
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_regions_and_unknown_ids() {
    on_every_backend(async |db| {
        pricing::create_region(&db, region("Europe", "eur", &["de"]))
            .await
            .unwrap();
        let invalid = [
            region(" ", "eur", &[]),
            region("Euro", "euro", &[]),
            region("Euro", "eur", &["deu"]),
            NewRegion {
                tax_rate_basis_points: -1,
                ..region("Euro", "eur", &[])
            },
            NewRegion {
                tax_rate_basis_points: 10_001,
                ..region("Euro", "eur", &[])
            },
        ];
        for new in invalid {
            let result = pricing::create_region(&db, new.clone()).await;
            assert!(
                matches!(result, Err(DomainError::Invalid(_))),
                "{new:?}: {result:?}"
            );
        }
        let taken = pricing::create_region(&db, region("Germany", "eur", &["DE"])).await;
        assert!(
            matches!(taken, Err(DomainError::Conflict(ref m)) if m.contains("de")),
            "{taken:?}"
        );
        assert!(matches!(
            pricing::find_region(&db, "reg_missing").await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            pricing::list_regions(&db, 0, 0).await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}
