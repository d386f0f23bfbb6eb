//! Groups rows that tie on the file's sort key by a few more columns, to compress better.
//!
//! Why: flows sorted by a second-resolution time have ~1,000 rows per second in arrival order,
//! so a low-cardinality column such as the exporter changes every row and its dictionary indices
//! do not compress. Rows with equal sort keys may be written in any order (the file stays sorted
//! by the table's sort order), so within each tie the rows are grouped by `cluster_by` — stable
//! counting sorts over the few distinct values of each column within a tie, linear in the rows. The permutation is then
//! applied while the column buffers are copied out of JavaScript memory (which happens anyway).

use arrow_buffer::{ArrowNativeType, Buffer};

use crate::ColumnBuffers;

/// Most distinct values of a grouping column within one tie (or group of the column before);
/// with more, those rows keep their order for that column (grouping only helps compression).
const MAX_GROUPS: usize = 32;

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

    /// A value's fingerprint: its bytes when they fit (16 bytes: addresses, integers), else a
    /// hash. Equal values have equal fingerprints; unequal ones rarely collide, and a collision
    /// only groups two values together, which costs compression, not correctness.
    fn fingerprint(&self, row: usize) -> u128 {
        match self.get(row) {
            None => u128::MAX,
            Some(bytes) if bytes.len() <= 16 => {
                let mut b = [0u8; 16];
                b[..bytes.len()].copy_from_slice(bytes);
                u128::from_le_bytes(b) ^ ((bytes.len() as u128) << 120)
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
/// (the first column the outermost). None when no tie has more than one row.
pub fn tie_permutation(rows: usize, tie: &KeyColumn, group: &[KeyColumn]) -> Option<Vec<u32>> {
    let mut perm: Vec<u32> = (0..rows as u32).collect();
    let mut work = Work::default();
    let mut changed = false;
    let mut start = 0;
    while start < rows {
        let key = tie.get(start);
        let mut end = start + 1;
        while end < rows && tie.get(end) == key {
            end += 1;
        }
        if end - start > 1 {
            changed = true;
            group_rows(&mut perm[start..end], group, &mut work);
        }
        start = end;
    }
    changed.then_some(perm)
}

#[derive(Default)]
struct Work {
    ids: Vec<u8>,
    scratch: Vec<u32>,
}

/// Groups `run` by the first column (a stable counting sort over its few distinct values), then
/// each group by the rest.
fn group_rows(run: &mut [u32], columns: &[KeyColumn], work: &mut Work) {
    let Some((column, rest)) = columns.split_first() else {
        return;
    };
    let mut distinct: Vec<u128> = Vec::with_capacity(8);
    work.ids.clear();
    let mut fits = true;
    for &row in run.iter() {
        let value = column.fingerprint(row as usize);
        let id = match distinct.iter().position(|&d| d == value) {
            Some(id) => id,
            None if distinct.len() < MAX_GROUPS => {
                distinct.push(value);
                distinct.len() - 1
            }
            None => {
                fits = false;
                break;
            }
        };
        work.ids.push(id as u8);
    }
    let mut bounds = vec![0usize, run.len()];
    if fits && distinct.len() > 1 {
        let mut counts = vec![0usize; distinct.len() + 1];
        for &id in &work.ids {
            counts[id as usize + 1] += 1;
        }
        for g in 1..counts.len() {
            counts[g] += counts[g - 1];
        }
        bounds = counts.clone();
        work.scratch.clear();
        work.scratch.resize(run.len(), 0);
        for (i, &id) in work.ids.iter().enumerate() {
            let at = &mut counts[id as usize];
            work.scratch[*at] = run[i];
            *at += 1;
        }
        run.copy_from_slice(&work.scratch);
    }
    if rest.is_empty() {
        return;
    }
    for pair in bounds.windows(2) {
        if pair[1] - pair[0] > 1 {
            group_rows(&mut run[pair[0]..pair[1]], rest, work);
        }
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
    word: fn([u8; W]) -> T,
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
        out_values.extend_from_slice(&values[offset(offsets, p)..offset(offsets, p + 1)]);
        out_offsets.push(out_values.len() as i32);
    }
    (Buffer::from_vec(out_offsets), Buffer::from_vec(out_values))
}
