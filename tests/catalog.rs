//! Catalog CSV parsing: our columns and Merchant Center's, and bad rows refused by line and column.

use vitrine::catalog::{parse, Audience, Wear};

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
    assert!(err("id,title,link,price\n").contains("no 'image' column"));
    assert!(err("id,title,link,image,price,gender\n").contains("no 'wear' (or 'product_type') column"));
    assert!(err(HEADER).contains("has no products"));
    let feed =
        "id,title,link,image_link,price,product_type\nx,Mug,https://s.example/x,m.jpg,5,Kitchen > Mugs\n";
    assert!(
        err(feed).contains("line 2: column 'product_type' 'Kitchen > Mugs' does not say"),
        "{}",
        err(feed)
    );
}
