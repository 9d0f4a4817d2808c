//! What an uploaded picture is and the smaller copies phones are sent:
//! checked by its content (never by its name or declared type), decoded
//! within fixed bounds so a small file cannot claim a huge canvas, and
//! scaled down to a few widths.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, imageops::FilterType};

use crate::DomainError;

/// The widths (in pixels) of the copies made of each picture, for `srcset`:
/// a product card on a phone, a product page on a phone, a wide screen.
pub const RENDITION_WIDTHS: [u32; 3] = [240, 480, 960];

/// The longest side a picture may have; camera photos are well below it.
pub const MAX_SIDE: u32 = 12_000;

/// Memory a decoded picture may take (RGBA 8-bit: about 8000 × 8000).
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

const JPEG_QUALITY: u8 = 82;

/// A picture's kind, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureKind {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl PictureKind {
    fn of(bytes: &[u8]) -> Result<Self, DomainError> {
        match image::guess_format(bytes) {
            Ok(ImageFormat::Jpeg) => Ok(Self::Jpeg),
            Ok(ImageFormat::Png) => Ok(Self::Png),
            Ok(ImageFormat::WebP) => Ok(Self::WebP),
            Ok(ImageFormat::Gif) => Ok(Self::Gif),
            _ => Err(DomainError::Invalid(
                "only JPEG, PNG, WebP and GIF pictures can be uploaded".into(),
            )),
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::WebP => ImageFormat::WebP,
            Self::Gif => ImageFormat::Gif,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
            Self::Gif => "gif",
        }
    }
}

/// A checked picture and its smaller copies.
#[derive(Debug)]
pub struct Picture {
    pub kind: PictureKind,
    pub width: u32,
    pub height: u32,
    /// The file as uploaded.
    pub original: Vec<u8>,
    /// One per [`RENDITION_WIDTHS`] entry narrower than the picture.
    pub renditions: Vec<ScaledCopy>,
}

#[derive(Debug)]
pub struct ScaledCopy {
    pub width: u32,
    pub height: u32,
    pub kind: PictureKind,
    pub bytes: Vec<u8>,
}

impl Picture {
    /// Checks `bytes` are a picture of a supported kind and size, and makes
    /// its smaller copies (JPEG, or PNG where the picture is transparent).
    /// CPU-bound: call it off the async threads.
    pub fn prepare(bytes: Vec<u8>) -> Result<Self, DomainError> {
        if bytes.is_empty() {
            return Err(DomainError::Invalid("the file is empty".into()));
        }
        let kind = PictureKind::of(&bytes)?;
        let mut reader = ImageReader::with_format(Cursor::new(&bytes), kind.format());
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_DECODED_BYTES);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => DomainError::Invalid(format!(
                "the picture is too large: at most {MAX_SIDE} pixels a side"
            )),
            _ => DomainError::Invalid(format!(
                "the file is not a readable {} picture",
                kind.extension().to_uppercase()
            )),
        })?;
        let (width, height) = (decoded.width(), decoded.height());
        let renditions = RENDITION_WIDTHS
            .iter()
            .filter(|&&w| w < width)
            .map(|&w| scaled(&decoded, w))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            kind,
            width,
            height,
            original: bytes,
            renditions,
        })
    }
}

fn scaled(picture: &DynamicImage, width: u32) -> Result<ScaledCopy, DomainError> {
    let copy = picture.resize(width, u32::MAX, FilterType::Triangle);
    let mut bytes = Vec::new();
    let kind = if picture.color().has_alpha() {
        copy.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .map(|()| PictureKind::Png)
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        DynamicImage::ImageRgb8(copy.to_rgb8())
            .write_with_encoder(encoder)
            .map(|()| PictureKind::Jpeg)
    }
    .map_err(|e| DomainError::Invalid(format!("the picture could not be scaled: {e}")))?;
    Ok(ScaledCopy {
        width: copy.width(),
        height: copy.height(),
        kind,
        bytes,
    })
}

/// A file name fit for a storage key and a URL: lower-case ASCII letters,
/// digits and dashes, from the uploaded name without its folders or
/// extension; `picture` when nothing is left.
pub fn name_slug(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let mut slug = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "picture".into()
    } else {
        slug.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(picture: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    #[test]
    fn a_photo_gets_copies_narrower_than_itself_only() {
        let photo = DynamicImage::new_rgb8(600, 300);
        let picture = Picture::prepare(encoded(photo, ImageFormat::Png)).unwrap();
        assert_eq!(
            (picture.kind, picture.width, picture.height),
            (PictureKind::Png, 600, 300)
        );
        let sizes: Vec<_> = picture
            .renditions
            .iter()
            .map(|r| (r.width, r.height, r.kind))
            .collect();
        assert_eq!(
            sizes,
            [(240, 120, PictureKind::Jpeg), (480, 240, PictureKind::Jpeg)]
        );
        for copy in &picture.renditions {
            assert_eq!(image::guess_format(&copy.bytes).unwrap(), ImageFormat::Jpeg);
        }
    }

    #[test]
    fn transparent_pictures_stay_transparent() {
        let logo = DynamicImage::new_rgba8(500, 500);
        let picture = Picture::prepare(encoded(logo, ImageFormat::Png)).unwrap();
        assert!(
            picture
                .renditions
                .iter()
                .all(|r| r.kind == PictureKind::Png)
        );
    }

    #[test]
    fn what_is_not_a_picture_is_refused_by_its_content() {
        for bytes in [
            b"<svg xmlns='http://www.w3.org/2000/svg'></svg>".to_vec(),
            b"%PDF-1.7".to_vec(),
            Vec::new(),
        ] {
            assert!(matches!(
                Picture::prepare(bytes),
                Err(DomainError::Invalid(_))
            ));
        }
        // A PNG signature and nothing after it.
        let mut truncated = encoded(DynamicImage::new_rgb8(10, 10), ImageFormat::Png);
        truncated.truncate(20);
        let Err(DomainError::Invalid(message)) = Picture::prepare(truncated) else {
            panic!("a truncated picture is refused");
        };
        assert!(message.contains("not a readable PNG"), "{message}");
    }

    #[test]
    fn a_small_file_claiming_a_huge_canvas_is_refused_before_it_is_decoded() {
        // A valid 1×1 PNG whose header is rewritten to claim 60000×60000.
        let mut bomb = encoded(DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        // The header chunk's checksum (type and data), so only the size is wrong.
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let Err(DomainError::Invalid(message)) = Picture::prepare(bomb) else {
            panic!("the claimed canvas is refused");
        };
        assert!(message.contains("too large"), "{message}");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn names_become_safe_slugs() {
        assert_eq!(name_slug("Cold Brew (500 ml).JPG"), "cold-brew-500-ml");
        assert_eq!(name_slug("../../etc/passwd"), "passwd");
        assert_eq!(name_slug("C:\\photos\\Tee.png"), "tee");
        assert_eq!(name_slug("..."), "picture");
        assert_eq!(name_slug("日本.png"), "picture");
        assert!(name_slug(&"a".repeat(500)).len() <= 60);
    }
}
