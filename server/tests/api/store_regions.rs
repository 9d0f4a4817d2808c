use crate::{get_json as get, on_every_db};

#[tokio::test]
async fn lists_and_retrieves_regions_in_medusas_shape() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (status, body) = get(&app, "/store/regions", key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 1);
        assert_eq!(body["offset"], 0);
        assert_eq!(body["limit"], 50);
        let region = &body["regions"][0];
        for field in [
            "id",
            "name",
            "currency_code",
            "automatic_taxes",
            "countries",
            "metadata",
            "created_at",
            "updated_at",
        ] {
            assert!(
                region.get(field).is_some(),
                "StoreRegion.{field} is missing"
            );
        }
        assert!(region["id"].as_str().unwrap().starts_with("reg_"));
        assert_eq!(region["name"], "Europe");
        assert_eq!(region["currency_code"], "eur");
        let countries = region["countries"].as_array().unwrap();
        assert!(
            countries
                .iter()
                .any(|c| c["iso_2"] == "de" && c["id"] == "de"),
            "{countries:?}"
        );

        let id = region["id"].as_str().unwrap();
        let (status, body) = get(&app, &format!("/store/regions/{id}"), key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["region"]["id"], id);
        assert_eq!(body["region"]["countries"], region["countries"]);

        let (_, body) = get(&app, "/store/regions?offset=1&limit=1", key).await;
        assert_eq!(body["count"], 1);
        assert_eq!(body["regions"], serde_json::json!([]));
    })
    .await;
}

#[tokio::test]
async fn answers_unknown_regions_and_bad_input() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (status, body) = get(&app, "/store/regions/reg_missing", key).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["type"], "not_found");
        assert!(body["message"].as_str().unwrap().contains("reg_missing"));
        for query in ["limit=abc", "limit=0", "offset=-1"] {
            let (status, body) = get(&app, &format!("/store/regions?{query}"), key).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(body["type"], "invalid_data");
        }
        let (status, _) = get(&app, "/store/regions", None).await;
        assert_eq!(status, 400);
        let (status, _) = get(&app, "/store/regions/reg_missing", Some("pk_not_a_key")).await;
        assert_eq!(status, 401);
    })
    .await;
}
