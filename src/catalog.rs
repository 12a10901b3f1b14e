//! A retailer's catalog: products read from CSV, each in one category (audience x wear). Our
//! own columns (id, title, link, image, price, gender, wear) and a Google Merchant Center feed's
//! (id, title, link, image_link, price, gender, product_type) are both accepted. Every bad row is
//! refused with its line number and column, before anything is built.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What part of the body a product is worn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wear {
    Top,
    Bottom,
    Foot,
    /// Covers top and bottom; see `pipeline.rs` for how dresses are queried.
    Dress,
}

impl Wear {
    pub const ALL: [Wear; 4] = [Wear::Top, Wear::Bottom, Wear::Foot, Wear::Dress];

    pub fn name(self) -> &'static str {
        match self {
            Wear::Top => "top",
            Wear::Bottom => "bottom",
            Wear::Foot => "foot",
            Wear::Dress => "dress",
        }
    }

    fn parse(s: &str) -> Option<Wear> {
        Wear::ALL.into_iter().find(|w| w.name() == s.trim().to_ascii_lowercase())
    }

    /// Guesses the wear from a Merchant Center `product_type` (e.g. "Apparel > Shoes > Boots").
    fn from_product_type(s: &str) -> Option<Wear> {
        let s = s.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
        if has(&["shoe", "sneaker", "boot", "sandal", "heel", "footwear", "loafer", "trainer"]) {
            Some(Wear::Foot)
        } else if has(&["dress", "jumpsuit"]) {
            Some(Wear::Dress)
        } else if has(&["pant", "trouser", "jean", "short", "skirt", "legging"]) {
            Some(Wear::Bottom)
        } else if has(&[
            "shirt",
            "top",
            "blouse",
            "sweater",
            "hoodie",
            "jacket",
            "coat",
            "polo",
            "cardigan",
            "outerwear",
        ]) {
            Some(Wear::Top)
        } else {
            None
        }
    }
}

/// Who a product is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Women,
    Men,
    Unisex,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Women, Audience::Men, Audience::Unisex];

    pub fn name(self) -> &'static str {
        match self {
            Audience::Women => "women",
            Audience::Men => "men",
            Audience::Unisex => "unisex",
        }
    }

    /// The catalog audiences a shopper who chose `shopper` sees: their own and unisex products
    /// (unisex alone sees unisex); `None`, no choice, sees every audience.
    pub fn seen_by(shopper: Option<Audience>) -> &'static [Audience] {
        match shopper {
            None => &Audience::ALL,
            Some(Audience::Women) => &[Audience::Women, Audience::Unisex],
            Some(Audience::Men) => &[Audience::Men, Audience::Unisex],
            Some(Audience::Unisex) => &[Audience::Unisex],
        }
    }

    /// Ours (women, men, unisex) and Merchant Center's (female, male, unisex).
    pub fn parse(s: &str) -> Option<Audience> {
        match s.trim().to_ascii_lowercase().as_str() {
            "women" | "female" => Some(Audience::Women),
            "men" | "male" => Some(Audience::Men),
            "unisex" | "" => Some(Audience::Unisex),
            _ => None,
        }
    }
}

/// One searchable category, e.g. women-top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Category {
    pub audience: Audience,
    pub wear: Wear,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.audience.name(), self.wear.name())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub title: String,
    /// The product page: an http(s) URL, or a path relative to the index (the demo's generated
    /// pages). Nothing else: no `javascript:` or `data:` links reach a shopper.
    pub link: String,
    /// The product photo: a URL, or (when building an index) a path under the images folder.
    pub image: String,
    pub price: String,
    pub category: Category,
}

/// An http(s) URL, or a relative path (no scheme before the first '/').
pub fn is_safe_link(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return true;
    }
    let head = link.split('/').next().unwrap_or("");
    !link.is_empty()
        && !head.contains(':')
        && !link.starts_with("//")
        && !link.chars().any(char::is_whitespace)
}

/// Reads a catalog CSV (`name` is used in error messages).
pub fn parse(name: &str, csv_text: &[u8]) -> Result<Vec<Product>> {
    let fail = |line: u64, reason: String| Error::Catalog { input: name.to_string(), line, reason };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv_text);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| fail(1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |names: &[&str]| names.iter().find_map(|n| headers.iter().position(|h| h == n));
    let need = |names: &[&str]| {
        column(names).ok_or_else(|| {
            fail(1, format!("no '{}' column; the columns are id, title, link, image, price, gender, wear (or a Merchant Center feed's)", names[0]))
        })
    };
    let (id, title, link) = (need(&["id"])?, need(&["title"])?, need(&["link"])?);
    let (image, price) = (need(&["image", "image_link"])?, need(&["price"])?);
    let gender = column(&["gender"]);
    let wear = column(&["wear"]);
    let product_type = column(&["product_type"]);
    if wear.is_none() && product_type.is_none() {
        return Err(fail(
            1,
            "no 'wear' (or 'product_type') column: say whether each product is top, bottom, foot or dress"
                .into(),
        ));
    }

    let mut products = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            fail(line, format!("{e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let bad = |col: &str, what: String| fail(line, format!("column '{col}' {what}"));
        let product_id = field(id);
        if product_id.is_empty() {
            return Err(bad("id", "is empty".into()));
        }
        if !seen.insert(product_id.clone()) {
            return Err(bad("id", format!("'{product_id}' is used twice; ids must be unique")));
        }
        let product_title = field(title);
        if product_title.is_empty() {
            return Err(bad("title", "is empty".into()));
        }
        let product_link = field(link);
        if !is_safe_link(&product_link) {
            return Err(bad("link", format!("'{product_link}' is not an http(s) URL or a relative path")));
        }
        let product_image = field(image);
        if product_image.is_empty() {
            return Err(bad(&headers[image], "is empty; give the product photo's path or URL".into()));
        }
        let raw_gender = gender.map(field).unwrap_or_default();
        let audience = Audience::parse(&raw_gender)
            .ok_or_else(|| bad("gender", format!("'{raw_gender}' is not women, men or unisex")))?;
        let wear = match (wear, product_type) {
            (Some(w), _) => {
                let raw = field(w);
                Wear::parse(&raw)
                    .ok_or_else(|| bad("wear", format!("'{raw}' is not top, bottom, foot or dress")))?
            }
            (None, Some(t)) => {
                let raw = field(t);
                Wear::from_product_type(&raw).ok_or_else(|| {
                    bad(
                        "product_type",
                        format!("'{raw}' does not say top, bottom, foot or dress; add a 'wear' column"),
                    )
                })?
            }
            (None, None) => unreachable!("checked on the header"),
        };
        products.push(Product {
            id: product_id,
            title: product_title,
            link: product_link,
            image: product_image,
            price: field(price),
            category: Category { audience, wear },
        });
    }
    if products.is_empty() {
        return Err(fail(1, "has no products".into()));
    }
    Ok(products)
}
