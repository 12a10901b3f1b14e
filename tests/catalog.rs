//! Catalog CSV parsing: our columns and Merchant Center's, delimiters and encodings, the wear
//! of a row from product_type or Google's taxonomy, and bad rows refused by line and column.

mod common;

use vitrine::catalog::{parse, read, Audience, ReadOptions, Wear, GOOGLE_CATEGORIES};

const HEADER: &str = "id,title,link,image,price,gender,wear\n";

fn err(csv: &str) -> String {
    parse("catalog.csv", csv.as_bytes()).unwrap_err().to_string()
}

#[test]
fn our_columns_and_merchant_center_feeds_are_read() {
    let ours = format!("{HEADER}p1,Linen shirt,https://shop.example/p1,img/p1.jpg,29.90 EUR,women,top\n");
    let p = &parse("catalog.csv", ours.as_bytes()).unwrap()[0];
    assert_eq!((p.id.as_str(), p.category.audience, p.category.wear), ("p1", Audience::Women, Wear::Top));
    assert_eq!(p.category.to_string(), "women-top");

    let feed = "id,title,description,link,image_link,price,gender,product_type\n\
                s1,Trail runner,Grippy,https://shop.example/s1,https://cdn.example/s1.jpg,89 USD,male,Apparel > Shoes > Running\n\
                d1,Wrap dress,,https://shop.example/d1,https://cdn.example/d1.jpg,59 USD,female,Apparel > Dresses\n\
                j1,Slim jeans,,https://shop.example/j1,https://cdn.example/j1.jpg,49 USD,,Apparel > Jeans\n";
    let ps = parse("feed.csv", feed.as_bytes()).unwrap();
    let cats: Vec<String> = ps.iter().map(|p| p.category.to_string()).collect();
    assert_eq!(cats, ["men-foot", "women-dress", "unisex-bottom"]);
}

#[test]
fn bad_rows_name_their_line_and_column() {
    let bad_link = format!("{HEADER}p1,Shirt,https://s.example/1,a.jpg,1,men,top\np2,Shirt,javascript:alert(1),b.jpg,1,men,top\n");
    assert_eq!(
        err(&bad_link),
        "catalog.csv line 3: column 'link' 'javascript:alert(1)' is not an http(s) URL or a relative path"
    );
    let dup = format!(
        "{HEADER}p1,A,https://s.example/1,a.jpg,1,men,top\np1,B,https://s.example/2,b.jpg,1,men,top\n"
    );
    assert!(err(&dup).starts_with("catalog.csv line 3: column 'id' 'p1' is used twice"), "{}", err(&dup));
    let wear = format!("{HEADER}p1,A,https://s.example/1,a.jpg,1,men,hat\n");
    assert_eq!(err(&wear), "catalog.csv line 2: column 'wear' 'hat' is not top, bottom, foot or dress");
    let gender = format!("{HEADER}p1,A,https://s.example/1,a.jpg,1,kids,top\n");
    assert!(err(&gender).contains("line 2: column 'gender' 'kids'"), "{}", err(&gender));
    let short = format!("{HEADER}p1,A,https://s.example/1\n");
    assert!(err(&short).starts_with("catalog.csv line 2: "), "{}", err(&short));
    // Excel's and Windows' CRLF line ends, and a spreadsheet's empty row (separators only),
    // count as lines: the bad row is still line 4.
    let crlf = format!("{HEADER}p1,A,https://s.example/1,a.jpg,1,men,top\n,,,,,,\np2,B,https://s.example/2,b.jpg,1,men,hat\n")
        .replace('\n', "\r\n");
    assert_eq!(err(&crlf), "catalog.csv line 4: column 'wear' 'hat' is not top, bottom, foot or dress");
    let empty_row = format!("{HEADER}p1,A,https://s.example/1,a.jpg,1,men,top\n,,,,,,\n");
    assert_eq!(parse("catalog.csv", empty_row.as_bytes()).unwrap().len(), 1);
    assert!(err("id,title,link,price\n").contains("no 'image' column"));
    assert!(err("id,title,link,image,price,gender\n")
        .contains("no 'wear' (or 'product_type' or 'google_product_category') column"));
    assert!(err(HEADER).contains("has no products"));
    for empty in ["", "\n\n", " \r\n"] {
        assert!(
            err(empty).starts_with("catalog.csv line 1: the file is empty; its first line is the header"),
            "{}",
            err(empty)
        );
    }
    let feed =
        "id,title,link,image_link,price,product_type\nx,Mug,https://s.example/x,m.jpg,5,Kitchen > Mugs\n";
    assert!(
        err(feed).contains("line 2: cannot tell whether the product is top, bottom, foot or dress from product_type 'Kitchen > Mugs';"),
        "{}",
        err(feed)
    );
}

fn wears(name: &str, text: &[u8]) -> Vec<(String, Wear)> {
    let products = parse(name, text).unwrap_or_else(|e| panic!("{e}"));
    products.into_iter().map(|p| (p.id, p.category.wear)).collect()
}

fn pairs(expected: &[(&str, Wear)]) -> Vec<(String, Wear)> {
    expected.iter().map(|(id, w)| (id.to_string(), *w)).collect()
}

/// Issue 21 item 1: product_type was matched by substring, so "Short Sleeve Shirts" were
/// bottoms ("short"), "Bootcut Jeans" foot ("boot") and "Dress Shirts" dresses.
#[test]
fn product_type_is_read_by_whole_words_most_specific_last() {
    let cases = [
        ("Men > Shirts > Short Sleeve Shirts", Some(Wear::Top)),
        ("Women > Jeans > Bootcut Jeans", Some(Wear::Bottom)),
        ("Men > Shirts > Dress Shirts", Some(Wear::Top)),
        ("Women > Dresses > Shirt Dresses", Some(Wear::Dress)),
        ("Men > Shoes > Dress Shoes", Some(Wear::Foot)),
        ("Women > Shorts", Some(Wear::Bottom)),
        ("Men > T-Shirts", Some(Wear::Top)),
        ("Women > Boots > Ankle Boots", Some(Wear::Foot)),
        ("Men > Pants > Dress Pants", Some(Wear::Bottom)),
        // A segment naming no garment defers to the broader one.
        ("Men > Shirts > Short Sleeve", Some(Wear::Top)),
        ("Apparel & Accessories > Shoes > Sneakers", Some(Wear::Foot)),
        ("Apparel & Accessories > Clothing > Shirts & Tops", Some(Wear::Top)),
        // Not one wear: a suit, shoe care, mixed parts, no garment at all.
        ("Apparel & Accessories > Clothing > Suits > Pant Suits", None),
        ("Shoes > Shoe Care", None),
        ("Apparel & Accessories > Shoe Accessories > Boot Liners", None),
        ("Women > Tops & Bottoms", None),
        ("Kitchen > Mugs", None),
        ("", None),
    ];
    for (product_type, expected) in cases {
        assert_eq!(Wear::from_product_type(product_type), expected, "{product_type}");
    }
}

/// Every id in the table was checked against Google's taxonomy-with-ids file (see its
/// docstring); its path, read as a product_type, must say the same wear.
#[test]
fn google_categories_by_id_and_by_path_agree() {
    for &(id, path, wear) in GOOGLE_CATEGORIES {
        assert_eq!(Wear::from_google_category(&id.to_string()), Some(wear), "{id}");
        assert_eq!(Wear::from_google_category(path), Some(wear), "{id} {path}");
    }
    // Parents that mix wears say nothing: Clothing, Activewear, One-Pieces.
    for id in ["1604", "5322", "5182", "166"] {
        assert_eq!(Wear::from_google_category(id), None, "{id}");
    }
    let feed = "id,title,link,image_link,price,google_product_category\n\
                a,A,https://s.example/a,a.jpg,1,212\n\
                b,B,https://s.example/b,b.jpg,1,Apparel & Accessories > Clothing > Pants\n\
                c,C,https://s.example/c,c.jpg,1,187\n\
                d,D,https://s.example/d,d.jpg,1,2271\n";
    assert_eq!(
        wears("feed.csv", feed.as_bytes()),
        pairs(&[("a", Wear::Top), ("b", Wear::Bottom), ("c", Wear::Foot), ("d", Wear::Dress)])
    );
}

/// wear > product_type > google_product_category; a row none of them decides names its line
/// and the columns tried, or is left out and counted with --skip-undecided.
#[test]
fn wear_columns_in_order_and_undecided_rows() {
    let text = "id,title,link,image_link,price,wear,product_type,google_product_category\n\
                a,A,https://s.example/a,a.jpg,1,dress,Men > Shirts,212\n\
                b,B,https://s.example/b,b.jpg,1,,Men > Shirts,204\n\
                c,C,https://s.example/c,c.jpg,1,,Men > Sale,204\n\
                d,D,https://s.example/d,d.jpg,1,,Kitchen > Mugs,5322\n\
                e,E,https://s.example/e,e.jpg,1,,,187\n";
    let e = parse("feed.csv", text.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        e,
        "feed.csv line 5: cannot tell whether the product is top, bottom, foot or dress from wear '' or \
         product_type 'Kitchen > Mugs' or google_product_category '5322'; give it a 'wear' column (top, \
         bottom, foot or dress), or build with --skip-undecided to leave such rows out"
    );
    let feed = read("feed.csv", text.as_bytes(), ReadOptions { skip_undecided: true, ..Default::default() })
        .unwrap();
    let got: Vec<(String, Wear)> = feed.products.iter().map(|p| (p.id.clone(), p.category.wear)).collect();
    assert_eq!(got, pairs(&[("a", Wear::Dress), ("b", Wear::Top), ("c", Wear::Bottom), ("e", Wear::Foot)]));
    assert_eq!(feed.lines, [2, 3, 4, 6]);
    assert_eq!(feed.skipped.iter().map(|s| (s.line, s.id.as_str())).collect::<Vec<_>>(), [(5, "d")]);
}

/// The label column `vitrine train --label-column` asks for comes back in step with the products,
/// past a spreadsheet's empty row and an undecided row left out, in a tab-separated feed; a
/// missing column or an empty label names itself.
#[test]
fn a_label_column_comes_back_in_step_with_the_products() {
    let tsv = "id\ttitle\tlink\timage\tprice\tproduct_type\t Colour \n\
               a\tA\thttps://s.example/a\ta.jpg\t1\tShirts\tred\n\
               \t\t\t\t\t\t\n\
               m\tM\thttps://s.example/m\tm.jpg\t1\tMugs\tblue\n\
               b\tB\thttps://s.example/b\tb.jpg\t1\tShoes\t green \n";
    let options = |label_column| ReadOptions { skip_undecided: true, label_column };
    let feed = read("feed.tsv", tsv.as_bytes(), options(Some("colour"))).unwrap();
    assert_eq!(feed.products.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(feed.labels, ["red", "green"]);
    assert_eq!(feed.lines, [2, 5]);
    assert!(read("feed.tsv", tsv.as_bytes(), options(None)).unwrap().labels.is_empty());

    let e = read("feed.tsv", tsv.as_bytes(), options(Some("pattern"))).unwrap_err().to_string();
    assert!(e.starts_with("feed.tsv line 1: no 'pattern' column to take labels from"), "{e}");
    let unlabelled = tsv.replace("\t green ", "\t ");
    let e = read("feed.tsv", unlabelled.as_bytes(), options(Some("colour"))).unwrap_err().to_string();
    assert_eq!(e, "feed.tsv line 5: column 'colour' is empty for product 'b'; give every product a 'colour'");
}

/// Lines are named right with old Mac line ends (CR alone), and a row with a field too many
/// says what to quote.
#[test]
fn cr_line_ends_and_ragged_rows_name_their_line() {
    let cr = "id,title,link,image,price,gender,wear\r\
              a,A,https://s.example/a,a.jpg,1,women,top\r\
              b,B,https://s.example/b,b.jpg,1,martian,top\r";
    let e = parse("feed.csv", cr.as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("feed.csv line 3: column 'gender' 'martian'"), "{e}");
    let ragged = "id,title,link,image,price,gender,wear\r\n\
                  a,A,https://s.example/a,a.jpg,1,women,top\r\n\
                  b,Shirt, blue,https://s.example/b,b.jpg,1,men,top\r\n";
    let e = parse("feed.csv", ragged.as_bytes()).unwrap_err().to_string();
    // A line of spaces (a hand-edited file's) is blank, as a spreadsheet's empty row is.
    let spaces = ragged.replace("\r\nb,", "\r\n   \r\nb,");
    let e_spaces = parse("feed.csv", spaces.as_bytes()).unwrap_err().to_string();
    assert_eq!(e_spaces, e.replace("line 3", "line 4"));
    assert_eq!(
        e,
        "feed.csv line 3: the row has 8 fields where the header has 7; quote a field that holds the \
         separator (',') or a line break"
    );
}

/// Issue 21 item 2: a tab-separated feed was read as one column ("no 'id' column").
#[test]
fn tab_and_semicolon_separated_feeds_are_read() {
    let tsv = "id\ttitle\tlink\timage_link\tprice\tgender\tproduct_type\n\
               t1\tTee, white\thttps://s.example/t1\tt1.jpg\t19.99 USD\tfemale\tApparel > Shirts & Tops\n\
               t2\t\"Quoted\ttab\"\thttps://s.example/t2\tt2.jpg\t9 USD\tmale\tApparel > Shoes\n";
    let ps = parse("feed.txt", tsv.as_bytes()).unwrap();
    assert_eq!(ps[0].title, "Tee, white");
    assert_eq!(ps[1].title, "Quoted\ttab");
    assert_eq!(wears("feed.txt", tsv.as_bytes()), pairs(&[("t1", Wear::Top), ("t2", Wear::Foot)]));
    let semicolons = "\u{feff}id;title;link;image;price;gender;wear\np1;Shirt;https://s.example/1;a.jpg;19,99 EUR;men;top\n";
    let p = &parse("export.csv", semicolons.as_bytes()).unwrap()[0];
    assert_eq!((p.id.as_str(), p.price.as_str(), p.category.wear), ("p1", "19,99 EUR", Wear::Top));
    // A header with commas inside quotes is still comma-separated.
    assert_eq!(vitrine::catalog::delimiter(b"\"id;x\",title,link\n"), b',');
    assert_eq!(vitrine::catalog::delimiter(b"id\ttitle\tlink\n"), b'\t');
}

/// The shared bug cases of issue 21, with the wears a person reads in them.
#[test]
fn shared_bugcases_get_the_right_wear() {
    let dir = common::root().join("..").join("shared").join("bugcases");
    if !dir.join("product-type.csv").exists() {
        common::skip("../shared/bugcases is absent (see ../shared/README.md)");
        return;
    }
    let product_type = common::read(&dir.join("product-type.csv"));
    assert_eq!(
        wears("product-type.csv", &product_type),
        pairs(&[
            ("qa-pt-ss-shirt", Wear::Top),
            ("qa-pt-bootcut", Wear::Bottom),
            ("qa-pt-dress-shirt", Wear::Top),
            ("qa-pt-tee", Wear::Top),
            ("qa-pt-sneaker", Wear::Foot),
        ])
    );
    let tsv = common::read(&dir.join("feed.tsv"));
    assert_eq!(
        wears("feed.tsv", &tsv),
        pairs(&[
            ("qa-tsv-tee", Wear::Top),
            ("qa-tsv-trouser", Wear::Bottom),
            ("qa-tsv-boot", Wear::Foot),
            ("qa-tsv-dress", Wear::Dress),
        ])
    );
}

/// Issue 21 item 5: a Windows-1252 file ("Café" as 0x43 0x61 0x66 0xE9) got "invalid UTF-8"
/// with a 0-based field number.
#[test]
fn windows_1252_is_named_by_line_and_column_with_what_to_do() {
    let mut text = format!("{HEADER}p1,Shirt,https://s.example/1,a.jpg,1,men,top\n").into_bytes();
    text.extend(b"p2,Caf\xe9 shirt,https://s.example/2,b.jpg,1,men,top\n");
    assert_eq!(
        parse("catalog.csv", &text).unwrap_err().to_string(),
        "catalog.csv line 3: column 'title' is not UTF-8 (Excel's \"CSV\" is Windows-1252); save the \
         file as \"CSV UTF-8\" and build again"
    );
    let header = b"id,title,link,image,price,gender,wear,r\xe9f\n".to_vec();
    assert!(parse("catalog.csv", &header)
        .unwrap_err()
        .to_string()
        .starts_with("catalog.csv line 1: the header is not UTF-8 (Excel's \"CSV\" is Windows-1252)"));
    // Excel's "Unicode Text" export: UTF-16LE with a BOM, tab-separated.
    let tsv =
        "id\ttitle\tlink\timage\tprice\tgender\twear\np1\tCafé\thttps://s.example/1\ta.jpg\t1\tmen\ttop\n";
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    let p = &parse("export.txt", &utf16).unwrap()[0];
    assert_eq!((p.title.as_str(), p.category.wear), ("Café", Wear::Top));
    // The same without its byte order mark (some exporters leave it out), either byte order;
    // before, the header's NUL bytes were printed as "no 'id' column".
    let le: Vec<u8> = tsv.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = tsv.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [le, be] {
        let p = &parse("export.txt", &bytes).unwrap()[0];
        assert_eq!((p.title.as_str(), p.category.wear), ("Café", Wear::Top));
    }
    // A file passed through two tools that each add a UTF-8 byte order mark.
    let twice = format!("\u{feff}\u{feff}{HEADER}p1,Shirt,https://s.example/1,a.jpg,1,men,top\n");
    assert_eq!(parse("catalog.csv", twice.as_bytes()).unwrap()[0].id, "p1");
}

/// A column vitrine reads, named twice in the header, was read from its first place silently.
#[test]
fn a_column_named_twice_is_refused() {
    let twice =
        "id,title,link,image,price,gender,wear,Price\np1,Shirt,https://s.example/1,a.jpg,1,men,top,2\n";
    assert_eq!(
        err(twice),
        "catalog.csv line 1: the header has 'price' twice (columns 5 and 8); keep one of them and build again"
    );
    // A column vitrine does not read may repeat (a spreadsheet's unnamed columns do).
    let unread = format!(
        "{}{}",
        HEADER.replace('\n', ",,note,note\n"),
        "p1,Shirt,https://s.example/1,a.jpg,1,men,top,,a,b\n"
    );
    assert_eq!(parse("catalog.csv", unread.as_bytes()).unwrap()[0].id, "p1");
}
