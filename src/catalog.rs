//! A retailer's catalog: products read from CSV, each in one category (audience x wear). Our
//! own columns (id, title, link, image, price, gender, wear) and a Google Merchant Center feed's
//! (id, title, link, image_link, price, gender, product_type, google_product_category) are both
//! accepted, comma-, tab- or semicolon-separated. The wear comes from `wear`, else from
//! `product_type` by whole garment words, else from Google's taxonomy id or path. Every bad row
//! is refused with its line number and column, before anything is built: a wrong category is
//! worse than an error.

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

    /// The wear a Merchant Center `product_type` names (e.g. "Men > Shirts > Short Sleeve
    /// Shirts"), or `None` when it does not say. Words are matched whole, singular or plural.
    /// The most specific segment (the last, after '>') that names a garment decides; within a
    /// segment the head noun (the last garment word) wins over modifiers, so "Dress Shirts" are
    /// tops, "Shirt Dresses" dresses and "Short Sleeve Shirts" tops. A segment whose head is a
    /// garment word of no single wear (suits, sets, socks, accessories, shoe care...) or whose
    /// parts joined by '&', ',', '/', "and" disagree ("Tops & Bottoms") stops the search: `None`.
    pub fn from_product_type(s: &str) -> Option<Wear> {
        for segment in s.rsplit('>') {
            match segment_wear(segment) {
                Segment::Wear(w) => return Some(w),
                Segment::Undecided => return None,
                Segment::NoGarment => continue,
            }
        }
        None
    }

    /// The wear a `google_product_category` names: one of Google's product taxonomy ids in
    /// [`GOOGLE_CATEGORIES`] (e.g. "212"), or a taxonomy path (e.g. "Apparel & Accessories >
    /// Clothing > Shirts & Tops"), read as [`Wear::from_product_type`] reads paths. An id not
    /// in the table (activewear, one-pieces, swimwear...) says nothing: `None`.
    pub fn from_google_category(s: &str) -> Option<Wear> {
        let s = s.trim();
        if let Ok(id) = s.parse::<u32>() {
            return GOOGLE_CATEGORIES.iter().find(|c| c.0 == id).map(|c| c.2);
        }
        Wear::from_product_type(s)
    }
}

/// Google product taxonomy categories that are one wear: (id, path, wear). Ids and paths are
/// Google's, from `taxonomy-with-ids.en-US.txt` version 2021-09-21
/// (<https://www.google.com/basepages/producttype/taxonomy-with-ids.en-US.txt>); parents that
/// mix wears (Clothing 1604, Activewear 5322, One-Pieces 5182, Suits 1594...) are left out.
pub const GOOGLE_CATEGORIES: &[(u32, &str, Wear)] = &[
    (212, "Apparel & Accessories > Clothing > Shirts & Tops", Wear::Top),
    (203, "Apparel & Accessories > Clothing > Outerwear", Wear::Top),
    (5598, "Apparel & Accessories > Clothing > Outerwear > Coats & Jackets", Wear::Top),
    (1831, "Apparel & Accessories > Clothing > Outerwear > Vests", Wear::Top),
    (5410, "Apparel & Accessories > Clothing > Baby & Toddler Clothing > Baby & Toddler Tops", Wear::Top),
    (
        5425,
        "Apparel & Accessories > Clothing > Baby & Toddler Clothing > Baby & Toddler Outerwear",
        Wear::Top,
    ),
    (3455, "Apparel & Accessories > Clothing > Activewear > Bicycle Activewear > Bicycle Jerseys", Wear::Top),
    (
        5461,
        "Apparel & Accessories > Clothing > Activewear > Hunting Clothing > Hunting & Fishing Vests",
        Wear::Top,
    ),
    (
        6006,
        "Apparel & Accessories > Clothing > Activewear > Motorcycle Protective Clothing > Motorcycle Jackets",
        Wear::Top,
    ),
    (2396, "Apparel & Accessories > Clothing > Uniforms > Food Service Uniforms > Chef's Jackets", Wear::Top),
    (2292, "Apparel & Accessories > Clothing > Uniforms > White Coats", Wear::Top),
    (204, "Apparel & Accessories > Clothing > Pants", Wear::Bottom),
    (207, "Apparel & Accessories > Clothing > Shorts", Wear::Bottom),
    (1581, "Apparel & Accessories > Clothing > Skirts", Wear::Bottom),
    (6229, "Apparel & Accessories > Clothing > Skirts > Knee-Length Skirts", Wear::Bottom),
    (6228, "Apparel & Accessories > Clothing > Skirts > Long Skirts", Wear::Bottom),
    (2331, "Apparel & Accessories > Clothing > Skirts > Mini Skirts", Wear::Bottom),
    (5344, "Apparel & Accessories > Clothing > Skorts", Wear::Bottom),
    (
        5408,
        "Apparel & Accessories > Clothing > Baby & Toddler Clothing > Baby & Toddler Bottoms",
        Wear::Bottom,
    ),
    (5514, "Apparel & Accessories > Clothing > Outerwear > Rain Pants", Wear::Bottom),
    (3951, "Apparel & Accessories > Clothing > Activewear > American Football Pants", Wear::Bottom),
    (5378, "Apparel & Accessories > Clothing > Activewear > Boxing Shorts", Wear::Bottom),
    (5379, "Apparel & Accessories > Clothing > Activewear > Martial Arts Shorts", Wear::Bottom),
    (
        5552,
        "Apparel & Accessories > Clothing > Activewear > Hunting Clothing > Hunting & Tactical Pants",
        Wear::Bottom,
    ),
    (
        7003,
        "Apparel & Accessories > Clothing > Activewear > Motorcycle Protective Clothing > Motorcycle Pants",
        Wear::Bottom,
    ),
    (
        7236,
        "Apparel & Accessories > Clothing > Uniforms > Food Service Uniforms > Chef's Pants",
        Wear::Bottom,
    ),
    (2271, "Apparel & Accessories > Clothing > Dresses", Wear::Dress),
    (
        5424,
        "Apparel & Accessories > Clothing > Baby & Toddler Clothing > Baby & Toddler Dresses",
        Wear::Dress,
    ),
    (5441, "Apparel & Accessories > Clothing > Wedding & Bridal Party Dresses", Wear::Dress),
    (
        5330,
        "Apparel & Accessories > Clothing > Wedding & Bridal Party Dresses > Bridal Party Dresses",
        Wear::Dress,
    ),
    (
        5329,
        "Apparel & Accessories > Clothing > Wedding & Bridal Party Dresses > Wedding Dresses",
        Wear::Dress,
    ),
    (5250, "Apparel & Accessories > Clothing > One-Pieces > Jumpsuits & Rompers", Wear::Dress),
    (187, "Apparel & Accessories > Shoes", Wear::Foot),
];

/// What one product_type segment says.
enum Segment {
    Wear(Wear),
    /// Names a garment of no single wear, or wears that disagree: stop looking.
    Undecided,
    /// Names no garment ("Men", "Sale", "Short Sleeve"): look at the broader segment.
    NoGarment,
}

fn segment_wear(segment: &str) -> Segment {
    let mut found = None;
    // Parts joined by '&', ',', '/', '|', "and", "or" are each their own noun phrase.
    for part in segment.split(['&', ',', '/', '|', '+']) {
        let lower = part.to_lowercase();
        let words: Vec<&str> =
            lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        for phrase in words.split(|w| *w == "and" || *w == "or") {
            match phrase.iter().rev().find_map(|w| garment_word(w)) {
                None => {}
                Some(None) => return Segment::Undecided,
                Some(Some(w)) if found.is_some_and(|f| f != w) => return Segment::Undecided,
                Some(Some(w)) => found = Some(w),
            }
        }
    }
    found.map_or(Segment::NoGarment, Segment::Wear)
}

/// `Some(Some(wear))` for a garment noun of one wear, `Some(None)` for one of no single wear
/// (a suit, a set, socks, accessories, shoe care), `None` for any other word. Singular "short"
/// is not here: it is the adjective of "Short Sleeve".
fn garment_word(word: &str) -> Option<Option<Wear>> {
    let wear = match word {
        "shoe" | "shoes" | "sneaker" | "sneakers" | "boot" | "boots" | "bootie" | "booties" | "sandal"
        | "sandals" | "heel" | "heels" | "footwear" | "loafer" | "loafers" | "trainer" | "trainers"
        | "slipper" | "slippers" | "mule" | "mules" | "clog" | "clogs" | "espadrille" | "espadrilles"
        | "moccasin" | "moccasins" | "flats" | "pumps" | "wedges" | "oxfords" | "brogues" | "cleats" => {
            Wear::Foot
        }
        "dress" | "dresses" | "gown" | "gowns" | "jumpsuit" | "jumpsuits" | "romper" | "rompers"
        | "playsuit" | "playsuits" => Wear::Dress,
        "pant" | "pants" | "trouser" | "trousers" | "jeans" | "shorts" | "skirt" | "skirts" | "skort"
        | "skorts" | "legging" | "leggings" | "jogger" | "joggers" | "chino" | "chinos" | "culottes"
        | "sweatpants" | "bottoms" => Wear::Bottom,
        "shirt" | "shirts" | "tshirt" | "tshirts" | "tee" | "tees" | "top" | "tops" | "blouse"
        | "blouses" | "sweater" | "sweaters" | "sweatshirt" | "sweatshirts" | "hoodie" | "hoodies"
        | "jacket" | "jackets" | "coat" | "coats" | "blazer" | "blazers" | "parka" | "parkas" | "polo"
        | "polos" | "cardigan" | "cardigans" | "pullover" | "pullovers" | "vest" | "vests" | "tunic"
        | "tunics" | "camisole" | "camisoles" | "jersey" | "jerseys" | "outerwear" | "knitwear" => Wear::Top,
        "suit" | "suits" | "set" | "sets" | "outfit" | "outfits" | "tuxedo" | "tuxedos" | "uniform"
        | "uniforms" | "costume" | "costumes" | "pajamas" | "pyjamas" | "sleepwear" | "loungewear"
        | "swimwear" | "swimsuit" | "swimsuits" | "bikini" | "bikinis" | "underwear" | "lingerie" | "bra"
        | "bras" | "briefs" | "sock" | "socks" | "hosiery" | "tights" | "overalls" | "coveralls"
        | "accessories" | "bag" | "bags" | "belt" | "belts" | "hat" | "hats" | "cap" | "caps" | "scarf"
        | "scarves" | "gloves" | "laces" | "shoelaces" | "insoles" | "covers" | "liners" | "care"
        | "polish" | "hangers" | "stays" | "patterns" => return Some(None),
        _ => return None,
    };
    Some(Some(wear))
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
    /// The part of the photo that was embedded and why (written by `vitrine index build`;
    /// absent before the build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<crate::regions::Embedded>,
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

/// How [`read`] treats rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions<'a> {
    /// Leave out (and list in [`Feed::skipped`]) rows whose wear cannot be decided, instead of
    /// refusing the catalog (`vitrine index build --skip-undecided`).
    pub skip_undecided: bool,
    /// A column (matched as the other headers are: trimmed, any case) whose value every product
    /// must have, returned in [`Feed::labels`] (`vitrine train --label-column`). A header without
    /// it, or a product with it empty, is a [`Error::Catalog`].
    pub label_column: Option<&'a str>,
}

/// A catalog as read: its products in file order, each one's line, and the rows left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// The products kept, in file order.
    pub products: Vec<Product>,
    /// The 1-based line each product starts on (the header is line 1), for error messages.
    pub lines: Vec<u64>,
    /// Rows left out under [`ReadOptions::skip_undecided`].
    pub skipped: Vec<Skipped>,
    /// Each product's [`ReadOptions::label_column`] value, trimmed, in step with `products`;
    /// empty when no column was asked for.
    pub labels: Vec<String>,
}

/// A row left out because its wear could not be decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// 1-based line in the file.
    pub line: u64,
    /// The row's product id.
    pub id: String,
    /// Why, as the error would have said it.
    pub reason: String,
}

/// Reads a catalog (`name` is used in error messages); every row must be good.
pub fn parse(name: &str, csv_text: &[u8]) -> Result<Vec<Product>> {
    read(name, csv_text, ReadOptions::default()).map(|feed| feed.products)
}

/// The field delimiter of a catalog, from its header line: tab, comma or semicolon, whichever
/// splits the header (quotes respected) into the most columns; comma when none does. Merchant
/// Center takes tab-separated feeds, spreadsheets export .txt as tab- and, in locales with a
/// decimal comma, .csv as semicolon-separated.
pub fn delimiter(text: &[u8]) -> u8 {
    let columns = |d: u8| {
        let mut reader = csv::ReaderBuilder::new().delimiter(d).has_headers(false).from_reader(text);
        reader.byte_records().next().and_then(|r| r.ok()).map_or(0, |r| r.len())
    };
    // Ties go to the earlier one: comma first, as most files are.
    [b',', b'\t', b';']
        .into_iter()
        .fold((b',', 0), |best, d| {
            let n = columns(d);
            if n > best.1 {
                (d, n)
            } else {
                best
            }
        })
        .0
}

/// The 1-based lines of the records the csv crate places at byte offsets of a catalog's text.
/// After a CRLF row (Excel's and Windows' line ends) the crate's line count is one short and its
/// offset is the row's closing LF, so line ends are counted here, up to and including that byte:
/// LF, CRLF, or a lone CR (old Mac line ends). Offsets asked in increasing order (one pass over
/// the records) cost one pass over the text in all: counting from the start each time took 6
/// minutes for a 100,000-row feed.
struct Lines<'a> {
    text: &'a [u8],
    /// Bytes counted so far, and the line after them.
    counted: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Lines<'a> {
        Lines { text, counted: 0, line: 1 }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let end = (byte as usize + 1).min(self.text.len());
        if end < self.counted {
            (self.counted, self.line) = (0, 1);
        }
        let text = self.text;
        let ends = (self.counted..end)
            .filter(|&i| text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .count();
        (self.counted, self.line) = (end, self.line + ends as u64);
        self.line
    }
}

/// Reads a catalog: CSV, TSV or semicolon-separated (see [`delimiter`]), UTF-8 (with or
/// without a BOM) or UTF-16 (Excel's "Unicode Text"; see `from_utf16`). Blank lines and rows of
/// separators only are skipped; a column it reads, named twice in the header, is an error. The
/// wear of a row is its `wear` column when that is given; else its `product_type` (the
/// retailer's own path, the most specific); else its `google_product_category` (Google's
/// taxonomy id or path). A row whose wear none of them decides is an error naming its line and
/// the columns tried, or, with `options.skip_undecided`, is left out and listed in
/// [`Feed::skipped`].
pub fn read(name: &str, bytes: &[u8], options: ReadOptions) -> Result<Feed> {
    let fail = |line: u64, reason: String| Error::Catalog { input: name.to_string(), line, reason };
    let text = text(name, bytes)?;
    let text: &[u8] = &text;
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(
            1,
            "the file is empty; its first line is the header (id, title, link, image, price, gender, wear), then a row per product"
                .into(),
        ));
    }
    // Flexible: a line of spaces is one field, and is skipped as blank before the field count is checked.
    let mut reader = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter(text)).from_reader(text);
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| fail(1, format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| std::str::from_utf8(h).map(|h| h.trim().to_ascii_lowercase()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| fail(1, format!("the header is not UTF-8{NOT_UTF8}")))?;
    let listed = || headers.iter().map(|h| format!("'{}'", h.escape_debug())).collect::<Vec<_>>().join(", ");
    // A column read twice would be a silent choice between two values: name it instead.
    let column = |names: &[&str]| -> Result<Option<usize>> {
        for n in names {
            let mut at = headers.iter().enumerate().filter(|(_, h)| h == n).map(|(i, _)| i);
            match (at.next(), at.next()) {
                (None, _) => continue,
                (Some(i), None) => return Ok(Some(i)),
                (Some(a), Some(b)) => {
                    let (a, b) = (a + 1, b + 1);
                    let what = format!(
                        "the header has '{n}' twice (columns {a} and {b}); keep one of them and build again"
                    );
                    return Err(fail(1, what));
                }
            }
        }
        Ok(None)
    };
    let need = |names: &[&str]| {
        column(names)?.ok_or_else(|| {
            fail(
                1,
                format!(
                    "no '{}' column; the columns are id, title, link, image, price, gender, wear (or a Merchant Center feed's); the header has {}",
                    names[0],
                    listed()
                ),
            )
        })
    };
    let (id, title, link) = (need(&["id"])?, need(&["title"])?, need(&["link"])?);
    let (image, price) = (need(&["image", "image_link"])?, need(&["price"])?);
    let gender = column(&["gender"])?;
    let wear = column(&["wear"])?;
    let product_type = column(&["product_type"])?;
    let google_category = column(&["google_product_category"])?;
    if wear.is_none() && product_type.is_none() && google_category.is_none() {
        return Err(fail(
            1,
            "no 'wear' (or 'product_type' or 'google_product_category') column: say whether each product is top, bottom, foot or dress"
                .into(),
        ));
    }
    let label = match options.label_column {
        Some(name) => Some((name, column(&[name.trim().to_ascii_lowercase().as_str()])?.ok_or_else(|| {
            fail(1, format!("no '{name}' column to take labels from; name one with --label-column (the header has {})", listed()))
        })?)),
        None => None,
    };

    let mut feed = Feed { products: Vec::new(), lines: Vec::new(), skipped: Vec::new(), labels: Vec::new() };
    let mut seen = HashSet::new();
    let mut lines = Lines::new(text);
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| Lines::new(text).at(p.byte()));
            fail(line, e.to_string())
        })?;
        if is_blank_row(record.iter()) {
            continue;
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.len() != headers.len() {
            let reason = format!(
                "the row has {} fields where the header has {}; quote a field that holds the separator ('{}') or a line break",
                record.len(),
                headers.len(),
                char::from(delimiter(text)).escape_default()
            );
            return Err(fail(line, reason));
        }
        let bad = |col: &str, what: String| fail(line, format!("column '{col}' {what}"));
        let field = |i: usize| -> Result<String> {
            let raw = record.get(i).unwrap_or(b"");
            std::str::from_utf8(raw)
                .map(|s| s.trim().to_string())
                .map_err(|_| bad(&headers[i], format!("is not UTF-8{NOT_UTF8}")))
        };
        let product_id = field(id)?;
        if product_id.is_empty() {
            return Err(bad("id", "is empty".into()));
        }
        if !seen.insert(product_id.clone()) {
            return Err(bad("id", format!("'{product_id}' is used twice; ids must be unique")));
        }
        let product_title = field(title)?;
        if product_title.is_empty() {
            return Err(bad("title", "is empty".into()));
        }
        let product_link = field(link)?;
        if !is_safe_link(&product_link) {
            return Err(bad("link", format!("'{product_link}' is not an http(s) URL or a relative path")));
        }
        let product_image = field(image)?;
        if product_image.is_empty() {
            return Err(bad(&headers[image], "is empty; give the product photo's path or URL".into()));
        }
        let raw_gender = gender.map(field).transpose()?.unwrap_or_default();
        let audience = Audience::parse(&raw_gender)
            .ok_or_else(|| bad("gender", format!("'{raw_gender}' is not women, men or unisex")))?;
        let raw_wear = wear.map(field).transpose()?.unwrap_or_default();
        let raw_type = product_type.map(field).transpose()?.unwrap_or_default();
        let raw_google = google_category.map(field).transpose()?.unwrap_or_default();
        let decided = if !raw_wear.is_empty() {
            Some(
                Wear::parse(&raw_wear)
                    .ok_or_else(|| bad("wear", format!("'{raw_wear}' is not top, bottom, foot or dress")))?,
            )
        } else {
            Wear::from_product_type(&raw_type).or_else(|| Wear::from_google_category(&raw_google))
        };
        let Some(wear) = decided else {
            let tried: Vec<String> = [("wear", wear, &raw_wear), ("product_type", product_type, &raw_type)]
                .into_iter()
                .chain([("google_product_category", google_category, &raw_google)])
                .filter(|(_, col, _)| col.is_some())
                .map(|(name, _, value)| format!("{name} '{value}'"))
                .collect();
            let reason = format!(
                "cannot tell whether the product is top, bottom, foot or dress from {}; give it a 'wear' column (top, bottom, foot or dress), or build with --skip-undecided to leave such rows out",
                tried.join(" or ")
            );
            if options.skip_undecided {
                feed.skipped.push(Skipped { line, id: product_id, reason });
                continue;
            }
            return Err(fail(line, reason));
        };
        if let Some((name, i)) = label {
            let value = field(i)?;
            if value.is_empty() {
                return Err(bad(
                    &headers[i],
                    format!("is empty for product '{product_id}'; give every product a '{name}'"),
                ));
            }
            feed.labels.push(value);
        }
        feed.products.push(Product {
            id: product_id,
            title: product_title,
            link: product_link,
            image: product_image,
            price: field(price)?,
            category: Category { audience, wear },
            region: None,
        });
        feed.lines.push(line);
    }
    if feed.products.is_empty() {
        let why = if feed.skipped.is_empty() {
            String::new()
        } else {
            format!(" (all {} rows were left out as undecided)", feed.skipped.len())
        };
        return Err(fail(1, format!("has no products{why}")));
    }
    Ok(feed)
}

/// Whether a row's `fields` hold nothing but whitespace: a spreadsheet's empty row comes out as
/// separators only (",,,,,,"), which [`read`] skips.
fn is_blank_row<'a>(mut fields: impl Iterator<Item = &'a [u8]>) -> bool {
    fields.all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// What to do about text that is not UTF-8: Excel's plain "CSV" is Windows-1252.
const NOT_UTF8: &str = " (Excel's \"CSV\" is Windows-1252); save the file as \"CSV UTF-8\" and build again";

/// A catalog file's bytes as [`read`] reads them: UTF-16 (Excel's "Unicode Text", with or
/// without its byte order mark) converted to UTF-8, any other as it is, less its UTF-8 byte
/// order marks (a file passed through two tools can carry two, and the second would hide
/// inside the first column's name).
fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
    match from_utf16(bytes) {
        Ok(Some(utf8)) => Ok(std::borrow::Cow::Owned(utf8)),
        Ok(None) => {
            let mut bytes = bytes;
            while let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
                bytes = rest;
            }
            Ok(std::borrow::Cow::Borrowed(bytes))
        }
        Err(reason) => Err(Error::Catalog { input: name.to_string(), line: 1, reason }),
    }
}

/// A UTF-16 file as UTF-8; `None` for any other. It is UTF-16 when it starts with a byte
/// order mark, or, without one, when its first two characters are ASCII with a zero byte
/// beside each: a header starts with a column name, and no UTF-8 text holds zero bytes.
fn from_utf16(bytes: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    let (big_endian, start) = match bytes {
        [0xff, 0xfe, ..] => (false, 2),
        [0xfe, 0xff, ..] => (true, 2),
        [a, 0, b, 0, ..] if *a != 0 && a.is_ascii() && *b != 0 && b.is_ascii() => (false, 0),
        [0, a, 0, b, ..] if *a != 0 && a.is_ascii() && *b != 0 && b.is_ascii() => (true, 0),
        _ => return Ok(None),
    };
    let units = bytes[start..].chunks_exact(2).map(|b| {
        let pair = [b[0], b[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let text: String = char::decode_utf16(units).collect::<std::result::Result<_, _>>().map_err(|_| {
        "is UTF-16 with a damaged character; save the file as \"CSV UTF-8\" and build again".to_string()
    })?;
    Ok(Some(text.trim_start_matches('\u{feff}').as_bytes().to_vec()))
}
