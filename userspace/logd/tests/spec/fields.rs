//! The `fields` convention: sorted `key=value` lines, validated keys, no newline in values,
//! at most 512 bytes.

use logd::{Fields, FieldsError};

#[test]
fn pairs_encode_sorted_by_key_whatever_the_insertion_order() {
    let mut a = Fields::new();
    a.insert("zeta", "1")
        .unwrap()
        .insert("alpha", "x=y")
        .unwrap()
        .insert("m.id-2_x", "")
        .unwrap();
    let mut b = Fields::new();
    b.insert("m.id-2_x", "")
        .unwrap()
        .insert("zeta", "1")
        .unwrap()
        .insert("alpha", "x=y")
        .unwrap();
    assert_eq!(
        a.encode().unwrap(),
        b"alpha=x=y\nm.id-2_x=\nzeta=1".to_vec()
    );
    assert_eq!(a.encode(), b.encode());
    assert_eq!(Fields::new().encode().unwrap(), Vec::<u8>::new());
    assert_eq!(a.encoded_len(), a.encode().unwrap().len());
}

#[test]
fn invalid_pairs_are_rejected_with_the_rule_they_break() {
    let cases: &[(&str, &str, FieldsError)] = &[
        ("", "v", FieldsError::EmptyKey { pair: 0 }),
        (
            "Upper",
            "v",
            FieldsError::BadKeyByte {
                pair: 0,
                byte: b'U',
            },
        ),
        (
            "a b",
            "v",
            FieldsError::BadKeyByte {
                pair: 0,
                byte: b' ',
            },
        ),
        (
            "a=b",
            "v",
            FieldsError::BadKeyByte {
                pair: 0,
                byte: b'=',
            },
        ),
        (
            "k\n",
            "v",
            FieldsError::BadKeyByte {
                pair: 0,
                byte: b'\n',
            },
        ),
        ("k", "line1\nline2", FieldsError::NewlineInValue { pair: 0 }),
    ];
    for (key, value, expected) in cases {
        assert_eq!(
            Fields::new().insert(key, value).err(),
            Some(*expected),
            "{key:?}={value:?}"
        );
    }
    let mut f = Fields::new();
    f.insert("k", "1").unwrap();
    assert_eq!(
        f.insert("k", "2").err(),
        Some(FieldsError::DuplicateKey { pair: 1 })
    );
}

#[test]
fn the_512_byte_cap_holds_at_the_limit_and_one_over() {
    for (value_len, ok) in [(510usize, true), (511, false)] {
        let mut f = Fields::new();
        f.insert("k", &"v".repeat(value_len)).unwrap();
        assert_eq!(f.encode().is_ok(), ok, "k= plus {value_len}");
        if !ok {
            assert_eq!(f.encode(), Err(FieldsError::TooLarge { len: 513 }));
        }
    }
}

#[test]
fn blobs_parse_back_and_bad_blobs_are_named() {
    let mut f = Fields::new();
    f.insert("b", "2").unwrap().insert("a", "1=1").unwrap();
    assert_eq!(Fields::parse(&f.encode().unwrap()), Ok(f.clone()));
    assert_eq!(Fields::parse(b"").map(|f| f.len()), Ok(0));
    assert_eq!(Fields::parse(b"b=2\na=1").unwrap().get("a"), Some("1"));
    let cases: &[(&[u8], FieldsError)] = &[
        (b"novalue", FieldsError::MissingEquals { pair: 0 }),
        (b"a=1\n", FieldsError::MissingEquals { pair: 1 }),
        (b"a=1\na=2", FieldsError::DuplicateKey { pair: 1 }),
        (
            b"A=1",
            FieldsError::BadKeyByte {
                pair: 0,
                byte: b'A',
            },
        ),
        (b"=1", FieldsError::EmptyKey { pair: 0 }),
        (b"a=\xff", FieldsError::NotUtf8 { offset: 2 }),
    ];
    for (blob, expected) in cases {
        assert_eq!(Fields::parse(blob), Err(*expected), "{blob:?}");
    }
    assert_eq!(
        Fields::parse(&[b'a'; 513]),
        Err(FieldsError::TooLarge { len: 513 })
    );
}
