//! Groups rows that tie on the file's sort key by a few more columns, to compress better.
//!
//! Why: flows sorted by a second-resolution time have ~1,000 rows per second in arrival order,
//! so a low-cardinality column such as the exporter changes every row and its dictionary indices
//! do not compress. Rows with equal sort keys may be written in any order (the file stays sorted
//! by the table's sort order), so within each tie the rows are grouped by `cluster_by`: each
//! grouping column's values are numbered once per batch (a small hash table of fingerprints),
//! then every tie is reordered by stable counting sorts over those numbers, innermost column
//! first — linear in the rows. The permutation is then applied while the column buffers are
//! copied out of JavaScript memory (which happens anyway).

use arrow_buffer::{ArrowNativeType, Buffer};

use crate::ColumnBuffers;

/// A column's values as byte slices (fixed width, or Binary/Utf8 with 32-bit offsets); null is
/// its own value.
pub struct KeyColumn<'a> {
    values: &'a [u8],
    offsets: Option<&'a [u8]>,
    width: usize,
    validity: Option<&'a [u8]>,
}

impl<'a> KeyColumn<'a> {
    /// `width`: bytes per value of a fixed-width column (ignored with offsets).
    pub fn new(c: &'a ColumnBuffers, width: usize) -> Self {
        KeyColumn {
            values: &c.values[..],
            offsets: c.offsets.as_ref().map(|o| &o[..]),
            width,
            validity: c.validity.as_ref().map(|v| &v[..]),
        }
    }

    fn get(&self, row: usize) -> Option<&'a [u8]> {
        if let Some(v) = self.validity {
            if v[row >> 3] & (1 << (row & 7)) == 0 {
                return None;
            }
        }
        Some(match self.offsets {
            Some(o) => {
                let start = offset(o, row);
                &self.values[start..offset(o, row + 1)]
            }
            None => &self.values[row * self.width..(row + 1) * self.width],
        })
    }

    /// Whether rows `a` and `b` hold the same value (both null included).
    fn same(&self, a: usize, b: usize) -> bool {
        match (self.validity, self.offsets, self.width) {
            // The common tie column (a timestamp): one word compare, not a slice compare.
            (None, None, 8) => self.word(a) == self.word(b),
            _ => self.get(a) == self.get(b),
        }
    }

    /// The 8-byte value of `row` of a fixed-width column of width 8.
    fn word(&self, row: usize) -> u64 {
        u64::from_le_bytes(
            self.values[row * 8..row * 8 + 8]
                .try_into()
                .expect("8 bytes"),
        )
    }

    /// A value's fingerprint: its bytes when they fit (16 bytes: addresses, integers), else a
    /// hash. Equal values have equal fingerprints; unequal ones rarely collide, and a collision
    /// only groups two values together, which costs compression, not correctness.
    fn fingerprint(&self, row: usize) -> u128 {
        if self.validity.is_none() && self.offsets.is_none() && self.width == 8 {
            // What the general case computes for 8 bytes, without the copy through a slice.
            return self.word(row) as u128 ^ (8u128 << 120);
        }
        match self.get(row) {
            None => u128::MAX,
            Some(bytes) if bytes.len() <= 16 => {
                // Little-endian, zero-padded; the usual sizes (IPv4, IPv6 addresses, integers)
                // read as words rather than through a copy of variable length.
                let word = match bytes.len() {
                    4 => u32::from_le_bytes(bytes.try_into().expect("4 bytes")) as u128,
                    8 => u64::from_le_bytes(bytes.try_into().expect("8 bytes")) as u128,
                    16 => u128::from_le_bytes(bytes.try_into().expect("16 bytes")),
                    n => {
                        let mut b = [0u8; 16];
                        b[..n].copy_from_slice(bytes);
                        u128::from_le_bytes(b)
                    }
                };
                word ^ ((bytes.len() as u128) << 120)
            }
            Some(bytes) => bytes.iter().fold(0xcbf2_9ce4_8422_2325u128, |h, &x| {
                (h ^ x as u128).wrapping_mul(0x1000_0000_01b3)
            }),
        }
    }
}

fn offset(offsets: &[u8], i: usize) -> usize {
    i32::from_le_bytes(offsets[i * 4..i * 4 + 4].try_into().expect("4 bytes")) as usize
}

/// The order to write `rows` rows in: runs of equal `tie` values, each grouped by `group`
/// (the first column the outermost). None when no row would move: no tie has more than one
/// row, or no grouping column has more than one value in the batch.
pub fn tie_permutation(rows: usize, tie: &KeyColumn, group: &[KeyColumn]) -> Option<Vec<u32>> {
    if !(1..rows).any(|i| tie.same(i - 1, i)) {
        return None;
    }
    // Innermost column first: stable counting sorts, one per column, leave each tie grouped by
    // the first column, then by the second within it, and so on.
    let ids: Vec<SmallIds> = group
        .iter()
        .rev()
        .map(|c| SmallIds::of(c, rows))
        .filter(|ids| ids.distinct > 1)
        .collect();
    if ids.is_empty() {
        return None;
    }
    let mut perm: Vec<u32> = (0..rows as u32).collect();
    let mut scratch = Vec::new();
    let mut counts = Vec::new();
    let mut start = 0;
    while start < rows {
        let mut end = start + 1;
        while end < rows && tie.same(start, end) {
            end += 1;
        }
        if end - start > 1 {
            for column in &ids {
                column.sort(&mut perm[start..end], &mut scratch, &mut counts);
            }
        }
        start = end;
    }
    Some(perm)
}

/// A grouping column's values as small numbers: the batch's first 255 distinct values (by
/// fingerprint) numbered in order of appearance, any further ones sharing 255 (those rows keep
/// their order: grouping only helps compression).
struct SmallIds {
    ids: Vec<u8>,
    distinct: usize,
}

impl SmallIds {
    fn of(column: &KeyColumn, rows: usize) -> Self {
        // Open addressing over a table four times the most ids: about one probe per row.
        const SLOTS: usize = 1024;
        let mut table: Vec<Option<(u128, u8)>> = vec![None; SLOTS];
        let mut distinct = 0usize;
        let ids = (0..rows)
            .map(|row| {
                let value = column.fingerprint(row);
                let folded = (value as u64) ^ ((value >> 64) as u64);
                let mut slot = (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize;
                loop {
                    match table[slot] {
                        Some((v, id)) if v == value => return id,
                        Some(_) => slot = (slot + 1) % SLOTS,
                        None if distinct < 255 => {
                            table[slot] = Some((value, distinct as u8));
                            distinct += 1;
                            return (distinct - 1) as u8;
                        }
                        None => return 255,
                    }
                }
            })
            .collect();
        let distinct = if distinct == 255 { 256 } else { distinct };
        SmallIds { ids, distinct }
    }

    /// Reorders `run` (row numbers) by id, stably.
    fn sort(&self, run: &mut [u32], scratch: &mut Vec<u32>, counts: &mut Vec<usize>) {
        counts.clear();
        counts.resize(self.distinct + 1, 0);
        for &row in run.iter() {
            counts[self.ids[row as usize] as usize + 1] += 1;
        }
        for g in 1..counts.len() {
            counts[g] += counts[g - 1];
        }
        scratch.clear();
        scratch.resize(run.len(), 0);
        for &row in run.iter() {
            let at = &mut counts[self.ids[row as usize] as usize];
            scratch[*at] = row;
            *at += 1;
        }
        run.copy_from_slice(scratch);
    }
}

/// Fixed-width values gathered in `perm` order (whole words where the width allows).
pub fn gather_fixed(values: &[u8], width: usize, perm: &[u32]) -> Buffer {
    match width {
        8 => gather_words(values, perm, u64::from_le_bytes),
        4 => gather_words(values, perm, u32::from_le_bytes),
        _ => {
            let mut out = vec![0u8; perm.len() * width];
            for (dst, &p) in out.chunks_exact_mut(width).zip(perm) {
                let i = p as usize * width;
                dst.copy_from_slice(&values[i..i + width]);
            }
            Buffer::from_vec(out)
        }
    }
}

/// Values of `W` bytes gathered in `perm` order as words of type `T`.
fn gather_words<T: ArrowNativeType, const W: usize>(
    values: &[u8],
    perm: &[u32],
    word: impl Fn([u8; W]) -> T,
) -> Buffer {
    let words: Vec<T> = perm
        .iter()
        .map(|&p| {
            let i = p as usize * W;
            word(values[i..i + W].try_into().expect("a whole word"))
        })
        .collect();
    Buffer::from_vec(words)
}

/// Bit-packed bits (validity, booleans) gathered in `perm` order.
pub fn gather_bits(bits: &[u8], perm: &[u32]) -> Buffer {
    let mut out = vec![0u8; perm.len().div_ceil(8)];
    for (byte, chunk) in out.iter_mut().zip(perm.chunks(8)) {
        let mut b = 0u8;
        for (k, &p) in chunk.iter().enumerate() {
            let p = p as usize;
            b |= ((bits[p >> 3] >> (p & 7)) & 1) << k;
        }
        *byte = b;
    }
    Buffer::from_vec(out)
}

/// Binary/Utf8 values and their 32-bit offsets gathered in `perm` order: (offsets, values).
pub fn gather_binary(values: &[u8], offsets: &[u8], perm: &[u32]) -> (Buffer, Buffer) {
    let mut out_offsets: Vec<i32> = Vec::with_capacity(perm.len() + 1);
    let mut out_values = Vec::with_capacity(values.len());
    out_offsets.push(0);
    for &p in perm {
        let p = p as usize;
        let value = &values[offset(offsets, p)..offset(offsets, p + 1)];
        // Addresses are 4 or 16 bytes: copies of a known size, not a memcpy call per value.
        match value.len() {
            4 => out_values.extend_from_slice(&<[u8; 4]>::try_from(value).expect("4 bytes")),
            16 => out_values.extend_from_slice(&<[u8; 16]>::try_from(value).expect("16 bytes")),
            _ => out_values.extend_from_slice(value),
        }
        out_offsets.push(out_values.len() as i32);
    }
    (Buffer::from_vec(out_offsets), Buffer::from_vec(out_values))
}
