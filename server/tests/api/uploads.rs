//! Pictures uploaded by an admin (Medusa's `/admin/uploads`, and the product
//! page's upload form): checked by their content, stored with smaller
//! copies, served for browsers to keep, deleted with every copy — on disk
//! by default, in an S3-compatible bucket (a local moto) by configuration.

use std::io::Cursor;

use reqwest::{
    Method, StatusCode,
    header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, LOCATION},
    multipart::{Form, Part},
};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::config::Settings;
use testkit::DbBackend;

use crate::{
    Options, TestApp,
    admin_catalog::admin_post,
    admin_json as admin, on_every_db,
    openapi::{assert_documented, fetch_document},
    spawn_app,
    store_carts::expect,
};

/// How the test server names itself (`public_url`).
const SITE: &str = "http://shop.example.com";

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::new_rgb8(width, height)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

fn form(files: &[(&str, Vec<u8>)]) -> Form {
    files.iter().fold(Form::new(), |form, (name, bytes)| {
        form.part(
            "files",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        )
    })
}

async fn upload(app: &TestApp, token: &str, files: &[(&str, Vec<u8>)]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/admin/uploads"))
        .bearer_auth(token)
        .multipart(form(files))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `POST /admin/products/{id}/images` as an API client: the product.
async fn add_pictures(
    app: &TestApp,
    token: &str,
    product: &str,
    files: &[(&str, Vec<u8>)],
) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/admin/products/{product}/images")))
        .bearer_auth(token)
        .multipart(form(files))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Fetches a stored file's URL from where it is served.
async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    let url = match url.strip_prefix(SITE) {
        Some(path) => app.url(path),
        None => url.to_owned(),
    };
    reqwest::get(url).await.unwrap()
}

async fn files_recorded(app: &TestApp) -> u64 {
    domain::files::file::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

/// The picture's URL, its copies' widths and URLs, after checking what is served.
async fn served(app: &TestApp, file: &Value, original: &[u8]) {
    let url = file["url"].as_str().unwrap();
    let response = fetch(app, url).await;
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(
        response.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable",
        "a key never changes, so browsers keep it"
    );
    assert_eq!(
        response.bytes().await.unwrap(),
        original,
        "the file as uploaded"
    );
    for copy in file["renditions"].as_array().unwrap() {
        let response = fetch(app, copy["url"].as_str().unwrap()).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_TYPE], "image/jpeg");
        let picture = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(u64::from(picture.width()), copy["width"].as_u64().unwrap());
    }
}

#[tokio::test]
async fn an_uploaded_picture_is_served_with_smaller_copies_until_it_is_deleted() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let photo = png(1200, 600);
        let document = fetch_document(&app).await;
        let answer = upload(&app, &token, &[("Cold Brew (1 L).png", photo.clone())]).await;
        assert_documented(&document, "post", "/admin/uploads", answer.0, &answer.1);
        let body = expect(200, answer);
        let file = body["files"][0].clone();
        let id = file["id"].as_str().unwrap().to_owned();
        let url = file["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("{SITE}/uploads/")), "{url}");
        assert!(
            url.ends_with("-cold-brew-1-l.png"),
            "named after the upload: {url}"
        );
        let widths: Vec<u64> = file["renditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["width"].as_u64().unwrap())
            .collect();
        assert_eq!(
            widths,
            [240, 480, 960],
            "copies for phones and wide screens"
        );
        served(&app, &file, &photo).await;

        let answer = admin(
            &app,
            &token,
            Method::GET,
            &format!("/admin/uploads/{id}"),
            None,
        )
        .await;
        assert_documented(&document, "get", "/admin/uploads/{id}", answer.0, &answer.1);
        let again = expect(200, answer);
        assert_eq!(again["file"]["url"], url);

        let answer = admin(
            &app,
            &token,
            Method::DELETE,
            &format!("/admin/uploads/{id}"),
            None,
        )
        .await;
        assert_documented(
            &document,
            "delete",
            "/admin/uploads/{id}",
            answer.0,
            &answer.1,
        );
        let deleted = expect(200, answer);
        assert_eq!(
            deleted,
            json!({ "id": id, "object": "file", "deleted": true })
        );
        assert_eq!(fetch(&app, &url).await.status(), 404, "the file is gone");
        for copy in file["renditions"].as_array().unwrap() {
            assert_eq!(
                fetch(&app, copy["url"].as_str().unwrap()).await.status(),
                404,
                "and every copy"
            );
        }
        let (status, _) = admin(
            &app,
            &token,
            Method::GET,
            &format!("/admin/uploads/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(files_recorded(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn what_is_not_a_picture_is_refused_clearly_and_nothing_is_kept() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        for (files, status, says) in [
            (
                vec![("photo.png", b"just some text".to_vec())],
                400,
                "only JPEG, PNG, WebP and GIF",
            ),
            (
                vec![(
                    "logo.svg",
                    b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
                )],
                400,
                "only JPEG, PNG, WebP and GIF",
            ),
            // The first is fine, the second is not: neither is kept.
            (
                vec![
                    ("good.png", png(300, 300)),
                    ("bad.jpg", b"\xff\xd8\xff broken".to_vec()),
                ],
                400,
                "bad.jpg",
            ),
            (
                vec![("huge.png", vec![0x89; 10 * 1024 * 1024 + 1])],
                413,
                "larger than the 10 MB",
            ),
        ] {
            let (actual, body) = upload(&app, &token, &files).await;
            assert_eq!(actual, status, "{body}");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
        }
        assert_eq!(
            files_recorded(&app).await,
            0,
            "a refused request keeps nothing"
        );

        let no_file = app
            .client
            .post(app.url("/admin/uploads"))
            .bearer_auth(&token)
            .multipart(Form::new().text("files", "not a file"))
            .send()
            .await
            .unwrap();
        assert_eq!(no_file.status(), 400);
        let (status, body) = admin(
            &app,
            &token,
            Method::POST,
            "/admin/uploads",
            Some(json!({ "files": [] })),
        )
        .await;
        assert_eq!(status, 400, "JSON is not a form: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("multipart/form-data"),
            "{body}"
        );

        let anonymous = reqwest::Client::new()
            .post(app.url("/admin/uploads"))
            .multipart(form(&[("a.png", png(10, 10))]))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(files_recorded(&app).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_picture_added_on_the_product_page_shows_on_the_product() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (status, created) = admin_post(
            &app,
            &token,
            "/admin/products",
            json!({ "title": "Oat Latte" }),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let product = created["product"]["id"].as_str().unwrap().to_owned();
        assert_eq!(app.sign_in().await.status(), 200);

        // The page's form, as a browser without JavaScript sends it.
        let page = format!("/admin/products/{product}");
        let send = |files: Vec<(&'static str, Vec<u8>)>| {
            app.client
                .post(app.url(&format!("/admin/products/{product}/images")))
                .header(ACCEPT, "text/html")
                .multipart(form(&files))
                .send()
        };
        let response = send(vec![
            ("latte.png", png(800, 800)),
            ("latte-side.png", png(640, 480)),
        ])
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], page.as_str());
        let shown =
            expect(200, admin(&app, &token, Method::GET, &page, None).await)["product"].clone();
        let images: Vec<&str> = shown["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["url"].as_str().unwrap())
            .collect();
        assert_eq!(images.len(), 2, "{shown}");
        assert!(
            images[0].ends_with("-latte.png") && images[1].ends_with("-latte-side.png"),
            "in order: {images:?}"
        );
        assert_eq!(
            shown["thumbnail"], images[0],
            "the first picture is the thumbnail"
        );

        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains(images[1]), "the page shows the pictures");

        // A picture a product shows cannot be deleted from under it.
        let file_id = domain::files::file::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.url == images[0])
            .unwrap()
            .id;
        let (status, body) = admin(
            &app,
            &token,
            Method::DELETE,
            &format!("/admin/uploads/{file_id}"),
            None,
        )
        .await;
        assert_eq!(status, 409, "{body}");

        // A refused file comes back to the page with the reason.
        let response = send(vec![("notes.png", b"hello".to_vec())]).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let back = response.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(back.starts_with(&format!("{page}?upload_error=")), "{back}");
        let html = app.page(&back).await.text().await.unwrap();
        assert!(
            html.contains("only JPEG, PNG, WebP and GIF pictures can be uploaded"),
            "the page says why"
        );

        // API clients get the product.
        let body = add_pictures(&app, &token, &product, &[("back.png", png(300, 300))]).await;
        assert_eq!(body["product"]["images"].as_array().unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn shoppers_phones_fetch_the_copy_of_a_picture_they_need() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let listed = expect(
            200,
            crate::store_carts::get(&app, "/store/products?limit=1").await,
        );
        let product = &listed["products"][0];
        let (id, handle) = (
            product["id"].as_str().unwrap(),
            product["handle"].as_str().unwrap(),
        );
        let body = add_pictures(&app, &token, id, &[("front.png", png(1000, 1000))]).await;
        let url = body["product"]["images"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .to_owned();
        // The demo product may have had a thumbnail; this picture becomes it.
        let changed = admin_post(
            &app,
            &token,
            &format!("/admin/products/{id}"),
            json!({ "thumbnail": url }),
        )
        .await;
        assert_eq!(changed.0, 200, "{}", changed.1);
        let stem = url.trim_end_matches(".png");

        let page = app
            .page(&format!("/products/{handle}"))
            .await
            .text()
            .await
            .unwrap();
        let srcset = format!(
            "{stem}-w240.jpg 240w, {stem}-w480.jpg 480w, {stem}-w960.jpg 960w, {url} 1000w"
        );
        assert!(
            page.contains(&srcset),
            "the product page offers every copy: {srcset}"
        );
        assert!(
            page.contains(r#"sizes="(max-width: 40rem) 100vw, 30rem""#),
            "and says how wide it is drawn"
        );
        let catalog = app.page("/").await.text().await.unwrap();
        assert!(catalog.contains(&srcset), "so does the catalog's card");
        assert!(
            catalog.contains(r#"loading="lazy""#),
            "cards below the fold wait until scrolled to"
        );
    })
    .await;
}

#[tokio::test]
async fn pictures_go_to_an_s3_bucket_when_one_is_configured() {
    let Some(s3) = testkit::s3::S3Server::start() else {
        return;
    };
    let bucket = "automat-pictures";
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{created:?}");
    // Pictures are for everyone to see: the bucket lets anyone read objects
    // (a bucket policy, as an operator sets up with a bucket of their own).
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
        }],
    });
    let readable = reqwest::Client::new()
        .put(format!("{}/{bucket}?policy", s3.endpoint))
        .body(policy.to_string())
        .send()
        .await
        .unwrap();
    assert!(readable.status().is_success(), "{readable:?}");
    let defaults = Settings::defaults();
    let app = spawn_app(Options {
        settings: Settings {
            files: server::config::FileSettings {
                s3_bucket: Some(bucket.into()),
                s3_endpoint: Some(s3.endpoint.clone()),
                s3_path_style: true,
                s3_access_key_id: Some("AKIAAUTOMATTEST".into()),
                s3_secret_access_key: Some("automat-test-secret".into()),
                ..defaults.files.clone()
            },
            ..defaults
        },
        ..Options::on(DbBackend::Sqlite)
    })
    .await;
    let token = app.admin_token().await;
    let photo = png(700, 350);
    let body = expect(
        200,
        upload(&app, &token, &[("shelf.png", photo.clone())]).await,
    );
    let file = body["files"][0].clone();
    let url = file["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/{bucket}/file_", s3.endpoint)),
        "{url}"
    );
    assert_eq!(
        file["renditions"].as_array().unwrap().len(),
        2,
        "240 and 480 wide"
    );
    served(&app, &file, &photo).await;

    let nothing_here = app
        .client
        .get(app.url(&url.replace(&s3.endpoint, "/uploads")))
        .send()
        .await
        .unwrap();
    assert_ne!(
        nothing_here.status(),
        200,
        "the folder is not served while a bucket is used"
    );

    let id = file["id"].as_str().unwrap();
    expect(
        200,
        admin(
            &app,
            &token,
            Method::DELETE,
            &format!("/admin/uploads/{id}"),
            None,
        )
        .await,
    );
    assert_eq!(
        fetch(&app, &url).await.status(),
        404,
        "deleted from the bucket"
    );
}
