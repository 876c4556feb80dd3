//! XOR chunks (encoding 1): Gorilla-style timestamps and values, as in `xor.go`.
//!
//! Layout: `num_samples <u16 BE>`, then a bit stream: sample 0 is `varint(t)` and 64 raw
//! value bits; sample 1 is `uvarint(t1 - t0)` and an XOR-coded value; later samples carry a
//! delta-of-delta timestamp in one of four buckets and an XOR-coded value.

use super::bstream::{window_at, BitReader, EndOfStream};
use crate::error::{FormatError, FormatErrorKind, Section};

pub use super::xor_append::XorAppender;

/// Iterator over the `(timestamp, value)` samples of an XOR chunk's data.
///
/// Decodes in place from the borrowed bytes; it allocates nothing. Values keep their exact
/// bit patterns (NaN payloads, stale markers, `-0`). After an error it yields nothing more.
///
/// The iterator sits on the batch decoder: it decodes up to 16 samples at a time
/// into an array of its own and hands them out one by one, so a sample costs what it
/// costs in [`decode_into`](Self::decode_into) plus a copy.
#[derive(Debug, Clone)]
pub struct XorIter<'a> {
    dec: Decoder<'a>,
    ahead: Ahead,
}

/// Samples the iterator decodes at a time.
const AHEAD: usize = 16;

/// Samples decoded ahead of the iterator: `t[at..len]`, `v[at..len]`, then `err`.
#[derive(Debug, Clone)]
struct Ahead {
    t: [i64; AHEAD],
    v: [f64; AHEAD],
    at: usize,
    len: usize,
    err: Option<FormatError>,
}

/// The decoder's state: the bit stream and the last sample, window and delta.
#[derive(Debug, Clone)]
struct Decoder<'a> {
    br: BitReader<'a>,
    total: u16,
    read: u16,
    t: i64,
    t_delta: u64,
    v: u64,
    leading: u8,
    trailing: u8,
}

/// Bit width of the delta-of-delta payload per prefix (`10`, `110`, `1110`, `1111`).
const DOD_WIDTHS: [u32; 4] = [14, 17, 20, 64];

/// Why an XOR-coded value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XorValueError {
    /// The stream ended.
    End(EndOfStream),
    /// A new window with more than 64 leading plus significant bits.
    Window,
}

/// Reads one XOR-coded value into `v` (`xorRead` in Go, shared by XOR chunks and histogram
/// chunks): `0` unchanged, `10` new bits in the current window, `11` + 5 bits leading zeros
/// + 6 bits significant bits (0 meaning 64) + the bits.
#[inline(always)]
pub(crate) fn read_xor_value(
    br: &mut BitReader<'_>,
    v: &mut u64,
    leading: &mut u8,
    trailing: &mut u8,
) -> Result<(), XorValueError> {
    // One peek covers the control bits and a new window's header.
    let w = br.peek(13);
    if w >> 12 == 0 {
        return br.consume(1).map_err(XorValueError::End);
    }
    let header = if w >> 11 == 0b11 {
        let lead = ((w >> 6) & 0x1f) as u8;
        let sig = match (w & 0x3f) as u8 {
            0 => 64,
            s => s,
        };
        if u32::from(lead) + u32::from(sig) > 64 {
            return Err(XorValueError::Window);
        }
        *leading = lead;
        *trailing = 64 - lead - sig;
        13
    } else {
        2
    };
    // leading + trailing <= 63 (a window has at least one significant bit), so 1..=64.
    let sig = 64 - u32::from(*leading) - u32::from(*trailing);
    let bits = if header + sig <= 57 {
        // Header and payload in one peek.
        let b = br.peek(header + sig) & (u64::MAX >> (64 - sig));
        br.consume(header + sig).map_err(XorValueError::End)?;
        b
    } else {
        br.consume(header).map_err(XorValueError::End)?;
        br.read(sig).map_err(XorValueError::End)?
    };
    *v ^= bits << (*trailing).min(63);
    Ok(())
}

/// The XOR-coded value whose control bits are at bit `p` (at most 24) of `w`, the window at
/// bit `pos` of `data`, applied to `v` with window `lead`/`trail`: the new value, window and
/// position after it (relative to `pos`), or `None` for a window of more than 64 bits. The
/// batch paths' form of [`read_xor_value`]; the caller checks the end against the stream's
/// length.
#[inline(always)]
fn value_at(
    data: &[u8],
    pos: usize,
    w: u64,
    mut p: u32,
    v: u64,
    lead: u32,
    trail: u32,
) -> Option<(u64, u32, u32, u32)> {
    let c = w << p;
    let (mut nv, mut nl, mut nt) = (v, lead, trail);
    if c >> 63 == 0 {
        p += 1;
    } else {
        if c >> 62 == 0b11 {
            let l = ((c >> 57) & 0x1f) as u32;
            let sig = match ((c >> 51) & 0x3f) as u32 {
                0 => 64,
                s => s,
            };
            if l + sig > 64 {
                return None;
            }
            (nl, nt) = (l, 64 - l - sig);
            p += 13;
        } else {
            p += 2;
        }
        // At least one significant bit: leading + trailing <= 63.
        let sig = 64 - nl - nt;
        let bits = if p + sig <= 57 {
            (w << p) >> (64 - sig)
        } else if sig <= 57 {
            window_at(data, pos + p as usize) >> (64 - sig)
        } else {
            // 58 to 64 bits: 32 from one window, the rest from the next.
            let at = pos + p as usize;
            let hi = window_at(data, at) >> 32;
            let lo = window_at(data, at + 32) >> (96 - sig);
            (hi << (sig - 32)) | lo
        };
        p += sig;
        nv ^= bits << nt.min(63);
    }
    Some((nv, nl, nt, p))
}

/// A uvarint of at most 8 bytes at byte `at` of `data`, from one little-endian load: the
/// value and its length. `None` when the varint is longer or runs past the end of `data`;
/// the caller then takes the general path, so no error is decided here.
#[inline(always)]
fn short_uvarint(data: &[u8], at: usize) -> Option<(u64, usize)> {
    let word = match data.get(at..at.checked_add(8)?) {
        Some(b) => u64::from_le_bytes(b.try_into().ok()?),
        // Zero padding ends a varint, so one that runs into it is refused below.
        None => super::bstream::tail_le(data, at),
    };
    let stops = !word & 0x8080_8080_8080_8080;
    if stops == 0 {
        return None;
    }
    let len = stops.trailing_zeros() / 8 + 1;
    if at + len as usize > data.len() {
        return None;
    }
    let kept = if len == 8 {
        word
    } else {
        word & ((1u64 << (8 * len)) - 1)
    };
    // Squeeze the 7-bit groups together: pairs, then quads, then the two halves.
    let x = kept & 0x7f7f_7f7f_7f7f_7f7f;
    let x = (x & 0x007f_007f_007f_007f) | ((x & 0x7f00_7f00_7f00_7f00) >> 1);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x & 0x3fff_0000_3fff_0000) >> 2);
    let x = (x & 0x0000_0000_0fff_ffff) | ((x & 0x0fff_ffff_0000_0000) >> 4);
    Some((x, len as usize))
}

/// Decodes a run of samples of one shape into `slots`, at most `want`, from the window
/// `w` at bit `pos`: a delta of deltas of 0 (prefix `0`; `DOD` false) or of 14 bits
/// (prefix `10`; `DOD` true), then a value in the current window (`10`; `VAL` true) of
/// `sig` bits shifted by `trail`, or an unchanged value (`0`; `VAL` false, with `DOD`:
/// scrapes with jitter of a series that did not move, a sixth of a real block's samples);
/// the caller has checked that `w` has this shape. Every sample of the
/// run is the same length, so each window load depends only on the count, not on what was
/// decoded. The payload comes from `w` when the sample fits in its 57 sure bits, else from
/// a load of its own (two for 58 to 64 bits, a full-precision gauge). Returns how many
/// samples it took, updating the position and state.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run_of_shape<'s, const DOD: bool, const VAL: bool>(
    data: &[u8],
    len_bits: usize,
    pos: &mut usize,
    mut w: u64,
    sig: u32,
    trail: u32,
    t: &mut i64,
    delta: &mut u64,
    v: &mut u64,
    slots: &mut impl Iterator<Item = (&'s mut i64, &'s mut f64)>,
    want: usize,
) -> usize {
    // Bits before the payload: the delta of deltas' prefix and bits, and the value's `10`
    // (or its `0`, an unchanged value, with no payload).
    let head: u32 = match (DOD, VAL) {
        (true, true) => 2 + 14 + 2,
        (false, _) => 1 + 2,
        (true, false) => 2 + 14 + 1,
    };
    let step = if VAL { head + sig } else { head } as usize;
    let (shift, tr) = (64 - sig, trail.min(63));
    let (mut p, mut tt, mut d, mut vv) = (*pos, *t, *delta, *v);
    let mut n = 0;
    loop {
        if n >= want || p + step > len_bits {
            break;
        }
        let Some((t_slot, v_slot)) = slots.next() else {
            break;
        };
        if DOD {
            let bits = (w << 2) >> 50;
            // The asymmetric buckets of `read_dod`.
            let dod = if bits > 1 << 13 {
                bits.wrapping_sub(1 << 14)
            } else {
                bits
            };
            d = d.wrapping_add(dod);
        }
        tt = tt.wrapping_add(d as i64);
        // `head + sig` and `sig` are the same for the whole run: these branches predict.
        let bits = if !VAL {
            0
        } else if head + sig <= 57 {
            (w << head) >> shift
        } else if sig <= 57 {
            window_at(data, p + head as usize) >> shift
        } else {
            let at = p + head as usize;
            let hi = window_at(data, at) >> 32;
            let lo = window_at(data, at + 32) >> (96 - sig);
            (hi << (sig - 32)) | lo
        };
        vv ^= bits << tr;
        *t_slot = tt;
        *v_slot = f64::from_bits(vv);
        n += 1;
        p += step;
        w = window_at(data, p);
        let same = match (DOD, VAL) {
            (true, true) => w >> 62 == 0b10 && (w >> 46) & 0b11 == 0b10,
            (false, _) => w >> 61 == 0b010,
            (true, false) => w >> 62 == 0b10 && (w >> 47) & 1 == 0,
        };
        if !same {
            break;
        }
    }
    (*pos, *t, *delta, *v) = (p, tt, d, vv);
    n
}

impl<'a> XorIter<'a> {
    /// Starts decoding `data`, the chunk's bytes after the encoding byte.
    pub fn new(data: &'a [u8]) -> Result<Self, FormatError> {
        Ok(XorIter {
            dec: Decoder::new(data)?,
            ahead: Ahead {
                t: [0; AHEAD],
                v: [0.0; AHEAD],
                at: 0,
                len: 0,
                err: None,
            },
        })
    }

    /// Number of samples the chunk header announces.
    pub fn len_hint(&self) -> u16 {
        self.dec.total
    }

    /// Decodes every sample left, appending timestamps to `ts` and values to `vs`: the
    /// batch path for exporters and dumps. Room is reserved once, for no more samples than
    /// the bits left can hold (each takes at least 2), so a hostile count sizes nothing.
    ///
    /// On an error the samples decoded before it stay in the vectors and the iterator is
    /// finished.
    ///
    /// ```
    /// use tsblock::chunkenc::{XorAppender, XorIter};
    ///
    /// let mut app = XorAppender::new();
    /// for t in 0..100 {
    ///     app.append(t * 15_000, t as f64 / 2.0);
    /// }
    /// let chunk = app.finish();
    /// let (mut ts, mut vs) = (Vec::new(), Vec::new());
    /// XorIter::new(&chunk).unwrap().decode_into(&mut ts, &mut vs).unwrap();
    /// assert_eq!((ts.len(), ts[99], vs[99]), (100, 99 * 15_000, 49.5));
    /// ```
    pub fn decode_into(&mut self, ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<(), FormatError> {
        // What `next` decoded ahead comes first.
        let a = &mut self.ahead;
        ts.extend_from_slice(a.t.get(a.at..a.len).unwrap_or_default());
        vs.extend_from_slice(a.v.get(a.at..a.len).unwrap_or_default());
        a.at = a.len;
        if let Some(e) = a.err.take() {
            return Err(e);
        }
        self.dec.decode_into(ts, vs)
    }

    /// [`decode_into`](Self::decode_into) for a whole chunk, without making an iterator
    /// (and its array for samples decoded ahead): the cheapest way through the many
    /// chunks of one or two samples a real block holds.
    ///
    /// ```
    /// use tsblock::chunkenc::{XorAppender, XorIter};
    ///
    /// let mut app = XorAppender::new();
    /// app.append(1_000, 0.5);
    /// let (mut ts, mut vs) = (Vec::new(), Vec::new());
    /// XorIter::decode_chunk_into(&app.finish(), &mut ts, &mut vs).unwrap();
    /// assert_eq!((ts, vs), (vec![1_000], vec![0.5]));
    /// ```
    pub fn decode_chunk_into(
        data: &[u8],
        ts: &mut Vec<i64>,
        vs: &mut Vec<f64>,
    ) -> Result<(), FormatError> {
        Decoder::new(data)?.decode_into(ts, vs)
    }

    /// Decodes the next `AHEAD` samples (fewer at the end or an error) into `ahead`,
    /// and returns the first. Out of line, once per 16 samples, so that `next` stays
    /// small enough to inline into any loop over the iterator.
    #[inline(never)]
    fn refill(&mut self) -> Option<Result<(i64, f64), FormatError>> {
        let left = usize::from(self.dec.total.saturating_sub(self.dec.read));
        // The first two samples (all of most chunks of a real block) one at a time.
        if left == 0 || self.dec.read < 2 {
            return self.dec.next_one();
        }
        let room = left.min(AHEAD);
        let a = &mut self.ahead;
        let mut slots = a.t.iter_mut().zip(a.v.iter_mut());
        let (n, err) = self.dec.fill(&mut slots, room);
        (a.at, a.len, a.err) = (0, n, err);
        match (a.t.first(), a.v.first()) {
            (Some(&t), Some(&v)) if n > 0 => {
                a.at = 1;
                Some(Ok((t, v)))
            }
            _ => a.err.take().map(Err),
        }
    }
}

impl<'a> Decoder<'a> {
    /// Starts decoding `data`, the chunk's bytes after the encoding byte.
    fn new(data: &'a [u8]) -> Result<Self, FormatError> {
        let (total, stream) = match data {
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            _ => {
                return Err(FormatError::new(
                    Section::ChunkData,
                    0,
                    FormatErrorKind::Truncated {
                        needed: 2,
                        available: data.len() as u64,
                    },
                ))
            }
        };
        Ok(Decoder {
            br: BitReader::new(stream),
            total,
            read: 0,
            t: 0,
            t_delta: 0,
            v: 0,
            leading: 0,
            trailing: 0,
        })
    }

    /// [`XorIter::decode_into`] from the decoder's state.
    fn decode_into(&mut self, ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<(), FormatError> {
        let left = usize::from(self.total.saturating_sub(self.read));
        let mut room = left.min(self.br.bits_left() / 2 + 2);
        ts.reserve(room);
        vs.reserve(room);
        // Samples 0 and 1 pushed (room is reserved): a chunk of one or two samples, the
        // commonest kind in a real block, costs no slot filling.
        if room >= 1 {
            if let Some((first, k)) = self.head() {
                for &(t, v) in first.get(..k).unwrap_or_default() {
                    ts.push(t);
                    vs.push(f64::from_bits(v));
                }
                room -= k;
                if room == 0 && self.read >= self.total {
                    return Ok(());
                }
            }
        }
        // Slots are made first and filled in place: no capacity check per sample. A few
        // samples (the rest of a short chunk) go to slots on the stack and are pushed,
        // which saves filling the vectors through a call to memset.
        const FEW: usize = 16;
        let failed = if room <= FEW {
            let (mut few_ts, mut few_vs) = ([0i64; FEW], [0f64; FEW]);
            let mut slots = few_ts
                .get_mut(..room)
                .unwrap_or_default()
                .iter_mut()
                .zip(few_vs.get_mut(..room).unwrap_or_default().iter_mut());
            let (n, failed) = self.fill(&mut slots, room);
            for (t, v) in few_ts.iter().zip(&few_vs).take(n) {
                ts.push(*t);
                vs.push(*v);
            }
            failed
        } else {
            let start = ts.len();
            ts.resize(start + room, 0);
            vs.resize(start + room, 0.0);
            let ts_slots = ts.get_mut(start..).unwrap_or_default();
            let vs_slots = vs.get_mut(start..).unwrap_or_default();
            let mut slots = ts_slots.iter_mut().zip(vs_slots.iter_mut());
            let (n, failed) = self.fill(&mut slots, room);
            ts.truncate(start + n);
            vs.truncate(start + n);
            failed
        };
        if let Some(e) = failed {
            return Err(e);
        }
        // More samples than the bits could hold only on a corrupt count; decode them anyway.
        while let Some(r) = self.next_one() {
            let (t, v) = r?;
            ts.push(t);
            vs.push(v);
        }
        Ok(())
    }

    /// Fills up to `room` of `slots` with the samples left: common ones through `fast`,
    /// the rest through `next`. Returns how many, and the error that stopped it.
    #[inline(always)]
    fn fill<'s>(
        &mut self,
        slots: &mut std::iter::Zip<std::slice::IterMut<'s, i64>, std::slice::IterMut<'s, f64>>,
        room: usize,
    ) -> (usize, Option<FormatError>) {
        let mut n = 0;
        while n < room {
            if self.read >= 2 {
                let k = self.fast(slots, room - n);
                n += k;
                if n >= room || self.read >= self.total {
                    break;
                }
            }
            // The first two samples, and any the fast path leaves (a 64-bit delta of
            // deltas, the stream's end, an error).
            match self.next_one() {
                Some(Ok((t, v))) => {
                    if let Some((t_slot, v_slot)) = slots.next() {
                        *t_slot = t;
                        *v_slot = v;
                    }
                    n += 1;
                }
                Some(Err(e)) => return (n, Some(e)),
                None => break,
            }
        }
        (n, None)
    }

    /// Decodes up to `want` samples from the third on into `slots` while each takes the
    /// common path, and returns how many: one 64-bit window per sample (two or three for
    /// a long value), position and state in registers, written back at the end. A run of `00`
    /// samples (same delta, same value: a constant series at a steady interval) is counted
    /// from one window. It stops, with the state at the sample it could not take, at a
    /// 64-bit delta of deltas, a bad window or the stream's end; `next` then decodes that
    /// sample and reports any error.
    #[inline]
    fn fast<'s>(
        &mut self,
        slots: &mut impl Iterator<Item = (&'s mut i64, &'s mut f64)>,
        want: usize,
    ) -> usize {
        let (data, mut pos, len_bits) = self.br.parts();
        let (mut t, mut delta, mut v) = (self.t, self.t_delta, self.v);
        let (mut lead, mut trail) = (u32::from(self.leading), u32::from(self.trailing));
        let want = want.min(usize::from(self.total.saturating_sub(self.read)));
        let mut n = 0;
        while n < want {
            let w = window_at(data, pos);
            if w >> 62 == 0 {
                // `00` pairs among the 56 bits sure to be real, within the stream.
                let run = (w.leading_zeros().min(56) / 2) as usize;
                let run = run.min(want - n).min((len_bits - pos) / 2);
                if run == 0 {
                    break;
                }
                let value = f64::from_bits(v);
                for (t_slot, v_slot) in slots.by_ref().take(run) {
                    t = t.wrapping_add(delta as i64);
                    *t_slot = t;
                    *v_slot = value;
                }
                n += run;
                pos += 2 * run;
                continue;
            }
            // The commonest shapes after `00`: a delta of deltas of 0 (`0`) or of 14 bits
            // (`10`), and a value in the current window (`10`); or a 14-bit one and an
            // unchanged value. A run of one shape steps by a constant, so each sample's
            // loads depend on nothing decoded.
            let sig = 64 - lead - trail;
            macro_rules! run {
                ($dod:literal, $val:literal) => {
                    run_of_shape::<$dod, $val>(
                        data,
                        len_bits,
                        &mut pos,
                        w,
                        sig,
                        trail,
                        &mut t,
                        &mut delta,
                        &mut v,
                        slots,
                        want - n,
                    )
                };
            }
            let taken = if w >> 62 == 0b10 && (w >> 46) & 0b11 == 0b10 {
                run!(true, true)
            } else if w >> 61 == 0b010 {
                run!(false, true)
            } else if w >> 62 == 0b10 && (w >> 47) & 1 == 0 {
                run!(true, false)
            } else {
                0
            };
            // Without progress (the stream's end), the general path below takes it.
            if taken > 0 {
                n += taken;
                continue;
            }
            // Conditional branches, the commonest bucket first: a `match` on the prefix
            // length compiles to an indirect jump, which predicts worse.
            let (mut p, width) = if w >> 62 == 0b10 {
                (2u32, DOD_WIDTHS[0])
            } else if w >> 63 == 0 {
                (1, 0)
            } else if w >> 61 == 0b110 {
                (3, DOD_WIDTHS[1])
            } else if w >> 60 == 0b1110 {
                (4, DOD_WIDTHS[2])
            } else {
                break;
            };
            let mut dod = 0u64;
            if width > 0 {
                let bits = (w << p) >> (64 - width);
                p += width;
                // The asymmetric buckets of `read_dod`.
                dod = if bits > 1 << (width - 1) {
                    bits.wrapping_sub(1 << width)
                } else {
                    bits
                };
            }
            // p <= 24: the value's control bits and a new window's header are in `w`.
            let Some((nv, nl, nt, p)) = value_at(data, pos, w, p, v, lead, trail) else {
                break;
            };
            let end = pos + p as usize;
            if end > len_bits {
                break;
            }
            let Some((t_slot, v_slot)) = slots.next() else {
                break;
            };
            delta = delta.wrapping_add(dod);
            t = t.wrapping_add(delta as i64);
            (v, lead, trail) = (nv, nl, nt);
            *t_slot = t;
            *v_slot = f64::from_bits(v);
            n += 1;
            pos = end;
        }
        self.br.seek(pos);
        (self.t, self.t_delta, self.v) = (t, delta, v);
        // Both are at most 64 (checked where a window is read).
        (self.leading, self.trailing) = (lead as u8, trail as u8);
        self.read += n as u16;
        n
    }

    /// Samples 0 and 1 (or the only sample) from a fresh stream, where every field starts
    /// on a byte: `t0` as a varint, 64 raw value bits, the first delta as a uvarint, then an
    /// XOR-coded value; and how many were decoded. Short varints come from one load each.
    /// `None`, with nothing consumed, for anything else (a long varint, a short stream, a
    /// bad window): `next` then decodes and judges it. Most chunks of a real block hold a
    /// few samples, so this is per-chunk cost that counts.
    #[inline]
    fn head(&mut self) -> Option<([(i64, u64); 2], usize)> {
        let (data, pos, len_bits) = self.br.parts();
        if pos != 0 || self.read != 0 || self.total == 0 {
            return None;
        }
        let (u, n0) = short_uvarint(data, 0)?;
        let v0 = u64::from_be_bytes(data.get(n0..n0 + 8)?.try_into().ok()?);
        let t0 = crate::bytes::zigzag_decode(u);
        if self.total == 1 {
            self.br.seek(8 * (n0 + 8));
            (self.t, self.v) = (t0, v0);
            self.read = 1;
            return Some(([(t0, v0), (0, 0)], 1));
        }
        let (d, n1) = short_uvarint(data, n0 + 8)?;
        let at = 8 * (n0 + 8 + n1);
        let (v1, lead, trail, used) = value_at(data, at, window_at(data, at), 0, v0, 0, 0)?;
        let end = at + used as usize;
        if end > len_bits {
            return None;
        }
        let t1 = t0.wrapping_add(d as i64);
        self.br.seek(end);
        (self.t, self.t_delta, self.v) = (t1, d, v1);
        // Both are at most 64 (checked in `value_at`).
        (self.leading, self.trailing) = (lead as u8, trail as u8);
        self.read = 2;
        Some(([(t0, v0), (t1, v1)], 2))
    }

    fn error(&self, kind: FormatErrorKind) -> FormatError {
        // +2 for the sample-count header before the bit stream.
        FormatError::new(Section::ChunkData, self.br.byte_offset() as u64 + 2, kind)
    }

    fn eof(&self, _: EndOfStream) -> FormatError {
        self.error(FormatErrorKind::Invalid(
            "bit stream ends before the announced samples",
        ))
    }

    #[inline(always)]
    fn read_value(&mut self) -> Result<(), FormatError> {
        match read_xor_value(
            &mut self.br,
            &mut self.v,
            &mut self.leading,
            &mut self.trailing,
        ) {
            Ok(()) => Ok(()),
            Err(XorValueError::End(e)) => Err(self.eof(e)),
            Err(XorValueError::Window) => Err(self.error(FormatErrorKind::Invalid(
                "XOR window: leading + significant bits exceed 64",
            ))),
        }
    }

    #[inline(always)]
    fn read_dod(&mut self) -> Result<i64, FormatError> {
        // One peek covers the prefix and a payload of up to 20 bits.
        let w = self.br.peek(24);
        let (used, width) = if w & (1 << 23) == 0 {
            (1, 0)
        } else if w & (1 << 22) == 0 {
            (2, DOD_WIDTHS[0])
        } else if w & (1 << 21) == 0 {
            (3, DOD_WIDTHS[1])
        } else if w & (1 << 20) == 0 {
            (4, DOD_WIDTHS[2])
        } else {
            (4, DOD_WIDTHS[3])
        };
        if width == 0 {
            self.br.consume(1).map_err(|e| self.eof(e))?;
            return Ok(0);
        }
        let bits = if width < 64 {
            self.br.consume(used + width).map_err(|e| self.eof(e))?;
            (w >> (24 - used - width)) & ((1 << width) - 1)
        } else {
            self.br.consume(used).map_err(|e| self.eof(e))?;
            return Ok(self.br.read(64).map_err(|e| self.eof(e))? as i64);
        };
        // Prometheus's buckets are asymmetric: the pattern 100…0 means +2^(width-1).
        if bits > 1 << (width - 1) {
            Ok(bits.wrapping_sub(1 << width) as i64)
        } else {
            Ok(bits as i64)
        }
    }

    fn step(&mut self) -> Result<(), FormatError> {
        match self.read {
            0 => {
                let t = self.br.read_varint().map_err(|e| self.eof(e))?;
                self.t = t.ok_or_else(|| self.error(FormatErrorKind::VarintOverflow(64)))?;
                self.v = self.br.read(64).map_err(|e| self.eof(e))?;
            }
            1 => {
                let d = self.br.read_uvarint().map_err(|e| self.eof(e))?;
                self.t_delta = d.ok_or_else(|| self.error(FormatErrorKind::VarintOverflow(64)))?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                // Fast path: '00' = same delta, same value.
                if self.br.peek(2) == 0 && self.br.consume(2).is_ok() {
                    self.t = self.t.wrapping_add(self.t_delta as i64);
                    return Ok(());
                }
                let dod = self.read_dod()?;
                self.t_delta = self.t_delta.wrapping_add(dod as u64);
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        Ok(())
    }
}

impl Iterator for XorIter<'_> {
    type Item = Result<(i64, f64), FormatError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let a = &mut self.ahead;
        if let (Some(&t), Some(&v)) = (a.t.get(a.at), a.v.get(a.at)) {
            if a.at < a.len {
                a.at += 1;
                return Some(Ok((t, v)));
            }
        }
        if let Some(e) = a.err.take() {
            return Some(Err(e));
        }
        self.refill()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let a = &self.ahead;
        let n = a.len - a.at + usize::from(a.err.is_some());
        (n, Some(n + usize::from(self.dec.total - self.dec.read)))
    }
}

impl Decoder<'_> {
    /// One sample by the general path: the reference the batch paths agree with, and
    /// what they fall back to.
    #[inline]
    fn next_one(&mut self) -> Option<Result<(i64, f64), FormatError>> {
        if self.read >= self.total {
            return None;
        }
        // The commonest sample, `00` (same delta, same value), without the call into `step`.
        if self.read >= 2 && self.br.peek(2) == 0 && self.br.consume(2).is_ok() {
            self.t = self.t.wrapping_add(self.t_delta as i64);
            self.read += 1;
            return Some(Ok((self.t, f64::from_bits(self.v))));
        }
        match self.step() {
            Ok(()) => {
                self.read += 1;
                Some(Ok((self.t, f64::from_bits(self.v))))
            }
            Err(e) => {
                self.read = self.total;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::Flavor;

    /// The samples by the iterator, checked equal to the batch decoder's.
    /// The samples (value bits) or errors of the one-sample-at-a-time path.
    fn by_step(data: &[u8]) -> Vec<Result<(i64, u64), FormatError>> {
        let mut dec = Decoder::new(data).unwrap();
        std::iter::from_fn(|| dec.next_one())
            .map(|r| r.map(|(t, v)| (t, v.to_bits())))
            .collect()
    }

    /// The same through the iterator (on the batch decoder).
    fn by_iter(data: &[u8]) -> Vec<Result<(i64, u64), FormatError>> {
        XorIter::new(data)
            .unwrap()
            .map(|r| r.map(|(t, v)| (t, v.to_bits())))
            .collect()
    }

    fn decode(data: &[u8]) -> Vec<(i64, u64)> {
        assert_eq!(by_iter(data), by_step(data));
        let by_next: Vec<(i64, u64)> = by_step(data).into_iter().map(Result::unwrap).collect();
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        XorIter::new(data)
            .unwrap()
            .decode_into(&mut ts, &mut vs)
            .unwrap();
        let batch: Vec<(i64, u64)> = ts.into_iter().zip(vs.iter().map(|v| v.to_bits())).collect();
        assert_eq!(batch, by_next);
        by_next
    }

    #[test]
    fn worked_example_from_the_format_notes() {
        // (1000000,1.0) (1015000,2.0) (1030000,2.0) (1046000,3.0)
        let data = [
            0x00, 0x04, 0x80, 0x89, 0x7a, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x98, 0x75, 0xc2, 0x5f,
            0xff, 0x20, 0xfa, 0x36, 0x03,
        ];
        assert_eq!(
            decode(&data),
            vec![
                (1000000, 1f64.to_bits()),
                (1015000, 2f64.to_bits()),
                (1030000, 2f64.to_bits()),
                (1046000, 3f64.to_bits()),
            ]
        );
    }

    #[test]
    fn one_sample_chunk_with_2x_trailing_byte() {
        let data = [
            0x00, 0x01, 0x80, 0xc8, 0xd0, 0x07, 0x40, 0x1c, 0, 0, 0, 0, 0, 0, 0x00,
        ];
        assert_eq!(decode(&data), vec![(8000000, 7f64.to_bits())]);
        assert_eq!(decode(&data[..14]), vec![(8000000, 7f64.to_bits())]);
    }

    #[test]
    fn truncated_chunks_error_instead_of_panicking() {
        let data = [
            0x00, 0x04, 0x80, 0x89, 0x7a, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x98, 0x75, 0xc2, 0x5f,
            0xff, 0x20, 0xfa, 0x36, 0x03,
        ];
        for cut in 0..data.len() - 1 {
            let res: Result<Vec<_>, _> = match XorIter::new(&data[..cut]) {
                Ok(it) => it.collect(),
                Err(e) => Err(e),
            };
            assert!(res.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn bad_window_is_rejected() {
        // Sample 1 with control '11', leading=31, sig=0 (=64): 31 + 64 > 64.
        let mut data = vec![0x00, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];
        // bits: 11 11111 000000 ...
        data.extend_from_slice(&[0b1111_1110, 0b0000_0000, 0, 0, 0, 0, 0, 0, 0, 0]);
        let res: Vec<_> = XorIter::new(&data).unwrap().collect();
        assert!(res[1].is_err());
        assert_eq!(res.len(), 2);
    }

    fn encode(samples: &[(i64, u64)]) -> Vec<u8> {
        let mut a = XorAppender::new();
        for &(t, v) in samples {
            assert!(a.append(t, f64::from_bits(v)));
        }
        a.finish()
    }

    #[test]
    fn appender_matches_prometheus_bytes() {
        let samples = [
            (1000000, 1f64.to_bits()),
            (1015000, 2f64.to_bits()),
            (1030000, 2f64.to_bits()),
            (1046000, 3f64.to_bits()),
        ];
        let expect = [
            0x00, 0x04, 0x80, 0x89, 0x7a, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x98, 0x75, 0xc2, 0x5f,
            0xff, 0x20, 0xfa, 0x36, 0x03,
        ];
        assert_eq!(encode(&samples), expect);
        // 3.x one-sample chunk: no trailing pad byte; 2.x has one.
        assert_eq!(
            encode(&[(8000000, 7f64.to_bits())]),
            [0x00, 0x01, 0x80, 0xc8, 0xd0, 0x07, 0x40, 0x1c, 0, 0, 0, 0, 0, 0]
        );
        let mut a = XorAppender::with_flavor(Flavor::Prometheus2);
        a.append(8000000, 7.0);
        assert_eq!(
            a.finish(),
            [0x00, 0x01, 0x80, 0xc8, 0xd0, 0x07, 0x40, 0x1c, 0, 0, 0, 0, 0, 0, 0]
        );
        // The worked example ends unaligned: no pad in either version.
        let mut a = XorAppender::with_flavor(Flavor::Prometheus2);
        for &(t, v) in &samples {
            a.append(t, f64::from_bits(v));
        }
        assert_eq!(a.finish(), expect);
    }

    #[test]
    fn asymmetric_dod_bucket_edges_round_trip() {
        let mut samples = vec![(0i64, 0u64), (1000, 0)];
        let mut delta = 1000i64;
        for dod in [
            0,
            1,
            -1,
            8192,
            -8191,
            8193,
            -8192,
            65536,
            -65535,
            65537,
            -65536,
            524288,
            -524287,
            524289,
            -524288,
            1 << 40,
            -(1 << 40),
        ] {
            delta += dod;
            let t = samples.last().unwrap().0 + delta;
            samples.push((t, (t as f64).to_bits()));
        }
        assert_eq!(decode(&encode(&samples)), samples);
    }

    proptest::proptest! {
        #[test]
        fn round_trip(samples in proptest::collection::vec((proptest::num::i64::ANY, proptest::num::u64::ANY), 0..300)) {
            proptest::prop_assert_eq!(decode(&encode(&samples)), samples);
        }

        /// Steady or jittered timestamps with values of every precision: runs of a delta
        /// of deltas of 0 or 14 bits and a value in the current window, whose payload is
        /// taken from the window (short), a load of its own, or two loads (58 to 64 bits).
        #[test]
        fn round_trip_runs_of_every_width(
            start in -1_000_000_000_000i64..1_000_000_000_000,
            interval in 1i64..100_000,
            shift in 0u32..64,
            steps in proptest::collection::vec((0u8..4, proptest::num::u64::ANY), 1..300),
        ) {
            let mut t = start;
            let mut samples = Vec::new();
            let base = 0x4000_0000_0000_0000u64;
            for (jitter, bits) in steps {
                t += interval + match jitter { 0 | 1 => 0, 2 => 7, _ => -5 };
                samples.push((t, base ^ (bits >> shift)));
            }
            proptest::prop_assert_eq!(decode(&encode(&samples)), samples);
        }

        /// Scrapes with jitter whose values mostly stay put (a real block's commonest
        /// samples): runs of a 0 or a 14-bit delta of deltas with an unchanged value,
        /// mixed with changed values; and every cut of the chunk decodes as the iterator.
        #[test]
        fn round_trip_jitter_with_unchanged_values(
            start in -1_000_000_000_000i64..1_000_000_000_000,
            interval in 1i64..100_000,
            steps in proptest::collection::vec((0i64..6, 0u8..8, proptest::num::u64::ANY), 1..200),
        ) {
            let mut t = start;
            let mut v = 1.5f64.to_bits();
            let mut samples = Vec::new();
            for (jitter, change, bits) in steps {
                t += interval + [0, 0, 1, -1, 8191, -8192][jitter as usize];
                if change == 0 {
                    v ^= bits;
                }
                samples.push((t, v));
            }
            let chunk = encode(&samples);
            proptest::prop_assert_eq!(decode(&chunk), samples);
            for cut in 2..chunk.len() {
                batch_matches_next(&chunk[..cut]);
            }
        }

        #[test]
        fn round_trip_realistic(
            start in -1_000_000_000_000i64..1_000_000_000_000,
            steps in proptest::collection::vec((0i64..100_000, -1000i64..1000, proptest::bool::ANY), 1..300),
        ) {
            let mut t = start;
            let mut v = 0f64;
            let mut samples = Vec::new();
            for (dt, dv, stale) in steps {
                t += dt;
                v += dv as f64 * 0.25;
                let bits = if stale { 0x7ff0_0000_0000_0002 } else { v.to_bits() };
                samples.push((t, bits));
            }
            proptest::prop_assert_eq!(decode(&encode(&samples)), samples);
        }

        #[test]
        fn short_uvarint_agrees_with_the_general_decoder(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..16),
            at in 0usize..16,
        ) {
            // Either the general answer, for a varint of at most 8 bytes with 8 bytes to
            // load, or no answer at all.
            let general = data.get(at..).map(crate::bytes::decode_uvarint);
            match short_uvarint(&data, at) {
                Some(got) => proptest::prop_assert_eq!(Some(Ok(got)), general),
                None => proptest::prop_assert!(
                    data.len() < at + 8 || !matches!(general, Some(Ok((_, n))) if n <= 8)
                ),
            }
        }

        #[test]
        fn batch_equals_iterator_on_garbage(data in proptest::collection::vec(proptest::num::u8::ANY, 2..300)) {
            // Whatever the bytes, the batch decoder and the iterator yield the one-sample
            // path's samples and its error, bit for bit.
            proptest::prop_assert_eq!(by_iter(&data), by_step(&data));
            let mut dec = Decoder::new(&data).unwrap();
            let by_next: Vec<_> = std::iter::from_fn(|| dec.next_one()).collect();
            let ok: Vec<(i64, u64)> = by_next
                .iter()
                .filter_map(|r| r.as_ref().ok().map(|(t, v)| (*t, v.to_bits())))
                .collect();
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            let r = XorIter::new(&data).unwrap().decode_into(&mut ts, &mut vs);
            let got: Vec<(i64, u64)> = ts.iter().copied().zip(vs.iter().map(|v| v.to_bits())).collect();
            proptest::prop_assert_eq!(got, ok);
            proptest::prop_assert_eq!(r.err(), by_next.last().and_then(|r| r.clone().err()));
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Ok(it) = XorIter::new(&data) {
                for r in it {
                    if r.is_err() { break; }
                }
            }
        }
    }

    /// Chunks of several shapes: random, constant (runs of `00`), runs broken by changes.
    fn shapes() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for shape in 0..4u64 {
            let mut app = XorAppender::new();
            let mut x = 1u64 + shape;
            let (mut t, mut v) = (1_000i64, 5.0f64);
            for i in 0..(120 + 200 * shape as i64) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match shape {
                    0 => {
                        t = i * 1000 + (x >> 60) as i64;
                        v = f64::from_bits(x >> 2);
                    }
                    1 => t += 15_000,
                    2 => {
                        t += if i % 11 == 0 { 15_001 } else { 15_000 };
                        if i % 7 == 0 {
                            v += 1.0;
                        }
                    }
                    _ => {
                        t += 1_000;
                        if x >> 61 == 0 {
                            v = (x >> 40) as f64;
                        }
                    }
                }
                app.append(t, v);
            }
            out.push(app.finish());
        }
        out
    }

    /// Samples taken by `next` (some of them decoded ahead), then the rest by
    /// `decode_into`: every sample once, in order, whatever the split.
    #[test]
    fn next_then_decode_into_takes_every_sample_once() {
        for chunk in shapes() {
            let want = by_step(&chunk);
            for split in [
                0,
                1,
                2,
                3,
                AHEAD - 1,
                AHEAD,
                AHEAD + 1,
                2 * AHEAD + 5,
                want.len(),
            ] {
                let mut it = XorIter::new(&chunk).unwrap();
                let mut got: Vec<(i64, u64)> = it
                    .by_ref()
                    .take(split)
                    .map(|r| r.map(|(t, v)| (t, v.to_bits())).unwrap())
                    .collect();
                let (mut ts, mut vs) = (Vec::new(), Vec::new());
                it.decode_into(&mut ts, &mut vs).unwrap();
                got.extend(ts.iter().copied().zip(vs.iter().map(|v| v.to_bits())));
                let want: Vec<(i64, u64)> = want.iter().map(|r| r.clone().unwrap()).collect();
                assert_eq!(got, want, "split {split}");
                assert!(it.next().is_none());
            }
        }
    }

    #[test]
    fn decode_into_equals_next_and_keeps_samples_before_an_error() {
        for chunk in shapes() {
            let want: Vec<(i64, f64)> = XorIter::new(&chunk).unwrap().map(|r| r.unwrap()).collect();
            let (mut ts, mut vs) = (vec![-1], vec![-1.0]);
            XorIter::new(&chunk)
                .unwrap()
                .decode_into(&mut ts, &mut vs)
                .unwrap();
            let got: Vec<(i64, f64)> = ts[1..]
                .iter()
                .copied()
                .zip(vs[1..].iter().copied())
                .collect();
            assert_eq!(got.len(), want.len());
            assert!(got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits()));
            for cut in 2..chunk.len() {
                batch_matches_next(&chunk[..cut]);
            }
        }
    }

    /// The batch decoder and the iterator give the one-sample path's samples (bit for
    /// bit) and error on `data`.
    fn batch_matches_next(data: &[u8]) {
        assert_eq!(by_iter(data), by_step(data), "{data:02x?}");
        let mut it = XorIter::new(data).unwrap();
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        let r = it.decode_into(&mut ts, &mut vs);
        let mut dec = Decoder::new(data).unwrap();
        let by_next: Vec<_> = std::iter::from_fn(|| dec.next_one()).collect();
        let ok: Vec<_> = by_next.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(ts.len(), ok.len(), "{data:02x?}");
        assert!(
            ts.iter()
                .zip(&vs)
                .zip(&ok)
                .all(|((t, v), o)| *t == o.0 && v.to_bits() == o.1.to_bits()),
            "{data:02x?}"
        );
        assert_eq!(
            r.err(),
            by_next.last().and_then(|r| r.clone().err()),
            "{data:02x?}"
        );
        assert!(it.next().is_none());
    }

    /// Chunks of one to four samples (most of a real block's) take the batch decoder's
    /// head path, whose loads near the end of the data are padded: every cut of them, and
    /// every sample count over the same bytes, decodes as the iterator does.
    #[test]
    fn short_chunks_batch_equals_iterator_at_every_cut() {
        let starts: [(i64, i64, f64); 5] = [
            (0, 1, 0.0),
            (1_700_000_000_000, 15_000, 1.5),
            (-5, 1 << 40, f64::NAN),
            (i64::MAX - 10, 3, -0.0),
            (1 << 55, 1, f64::from_bits(0x7ff0_0000_0000_0002)),
        ];
        for n in 1..=4i64 {
            for &(t0, step, v0) in &starts {
                let samples: Vec<(i64, u64)> = (0..n)
                    .map(|i| {
                        let v = if i % 2 == 0 { v0 } else { v0 * 3.0 + 1.0 };
                        (t0.wrapping_add(i * step), v.to_bits())
                    })
                    .collect();
                let chunk = encode(&samples);
                assert_eq!(decode(&chunk), samples);
                for cut in 0..=chunk.len() {
                    if cut >= 2 {
                        batch_matches_next(&chunk[..cut]);
                    }
                    // The same bytes under every small sample count.
                    let mut forged = chunk[..cut.max(2)].to_vec();
                    for count in 0..6u16 {
                        forged[..2].copy_from_slice(&count.to_be_bytes());
                        batch_matches_next(&forged);
                    }
                }
            }
        }
    }
}
