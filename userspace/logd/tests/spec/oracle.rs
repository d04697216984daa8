//! An independent oracle for the v1 byte layouts: frames built and read by hand from the
//! RFC's tables, without the crate's encoders, so a wrong change to the layout shows.

/// `[L, O, 1, op]`.
pub fn header(op: u8) -> Vec<u8> {
    vec![b'L', b'O', 1, op]
}

/// An APPEND frame with the given parts (lengths taken from the slices).
pub fn append(level: u8, scope: &[u8], msg: &[u8], fields: &[u8]) -> Vec<u8> {
    append_declared(
        level,
        scope.len(),
        msg.len(),
        fields.len(),
        &[scope, msg, fields].concat(),
    )
}

/// An APPEND frame whose declared lengths may disagree with the body.
pub fn append_declared(
    level: u8,
    scope_len: usize,
    msg_len: usize,
    fields_len: usize,
    body: &[u8],
) -> Vec<u8> {
    let mut f = header(1);
    f.push(level);
    f.push(scope_len as u8);
    f.extend_from_slice(&(msg_len as u16).to_le_bytes());
    f.extend_from_slice(&(fields_len as u16).to_le_bytes());
    f.extend_from_slice(body);
    f
}

/// A QUERY frame.
pub fn query(since: u64, max: u16) -> Vec<u8> {
    let mut f = header(2);
    f.extend_from_slice(&since.to_le_bytes());
    f.extend_from_slice(&max.to_le_bytes());
    f
}

/// A STATS frame.
pub fn stats() -> Vec<u8> {
    header(3)
}

pub fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

pub fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// A record read by hand from a QUERY response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandRecord {
    pub id: u64,
    pub ts: u64,
    pub service: u64,
    pub level: u8,
    pub scope: Vec<u8>,
    pub msg: Vec<u8>,
    pub fields: Vec<u8>,
}

/// A QUERY response read by hand: (status, records, total, dropped).
pub fn read_query_response(b: &[u8]) -> (u8, Vec<HandRecord>, u64, u64) {
    assert_eq!(&b[..4], &[b'L', b'O', 1, 0x82]);
    let status = b[4];
    let count = u16_at(b, 5) as usize;
    let mut at = 7;
    let mut records = Vec::new();
    for _ in 0..count {
        let scope_len = b[at + 25] as usize;
        let msg_len = u16_at(b, at + 26) as usize;
        let fields_len = u16_at(b, at + 28) as usize;
        let body = at + 30;
        records.push(HandRecord {
            id: u64_at(b, at),
            ts: u64_at(b, at + 8),
            service: u64_at(b, at + 16),
            level: b[at + 24],
            scope: b[body..body + scope_len].to_vec(),
            msg: b[body + scope_len..body + scope_len + msg_len].to_vec(),
            fields: b[body + scope_len + msg_len..body + scope_len + msg_len + fields_len].to_vec(),
        });
        at = body + scope_len + msg_len + fields_len;
    }
    assert_eq!(b.len(), at + 16, "trailer is total and dropped");
    (status, records, u64_at(b, at), u64_at(b, at + 8))
}
