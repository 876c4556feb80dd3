//! Native histograms as Prometheus models them (`model/histogram`): a schema, a zero bucket,
//! and sparse positive and negative buckets laid out by spans.
//!
//! Bucket counts here are **absolute** (the count of each bucket), for integer and float
//! histograms alike; the chunk formats store deltas, which the codecs in
//! [`crate::chunkenc`] convert.
//!
//! [`Histogram::positive_buckets_iter`], [`Histogram::negative_buckets_iter`] and
//! [`Histogram::zero_bucket`] give each bucket with Go's exact bounds ([`bucket_bound`]).
//! Go's `String()` of a histogram (what `promtool tsdb dump` ≥ 2.48 prints) is presentation
//! and lives in [`crate::compat::push_histogram`], which also implements `Display`. The
//! `Serialize` form keeps every field needed to rebuild the histogram; non-finite floats
//! become `"NaN"`, `"+Inf"`, `"-Inf"`.

/// A run of consecutive buckets: `offset` buckets after the previous span's end (or, for
/// the first span, the bucket index itself), `length` buckets long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    /// Gap to the previous span (first span: the index of its first bucket).
    pub offset: i32,
    /// Number of buckets.
    pub length: u32,
}

/// What a sample says about counter resets (the chunk header's two top bits, as
/// Prometheus's iterators report them per sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterResetHint {
    /// Not known (the first sample of a chunk that is not a gauge chunk).
    #[default]
    Unknown,
    /// A counter reset happened at this sample.
    CounterReset,
    /// No counter reset happened at this sample.
    NotCounterReset,
    /// A gauge histogram: counts go up and down.
    Gauge,
}

/// The schema of histograms with custom bucket bounds (`custom_values`), Prometheus 3.x.
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A bucket count: `u64` for integer histograms (chunk encoding 2), `f64` for float
/// histograms (encoding 3).
pub trait Count: Copy + PartialEq + Default + std::fmt::Debug + serde::Serialize {
    /// True for a zero count (`-0.0` is zero, NaN is not, as Go's `!= 0`).
    fn is_zero(self) -> bool;

    /// Bit-for-bit equality (for `f64`: NaN equals NaN, `-0.0` differs from `0.0`), as
    /// Prometheus's `Equals` compares histograms.
    fn same_bits(self, other: Self) -> bool;

    /// Serializes the count for JSON: a number, or for a non-finite `f64` the string
    /// `"NaN"`, `"+Inf"` or `"-Inf"` (Prometheus's HTTP API spelling).
    fn serialize_count<S: serde::Serializer>(self, serializer: S) -> Result<S::Ok, S::Error>;
}

impl Count for u64 {
    fn is_zero(self) -> bool {
        self == 0
    }

    fn same_bits(self, other: Self) -> bool {
        self == other
    }

    fn serialize_count<S: serde::Serializer>(self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self)
    }
}

impl Count for f64 {
    fn is_zero(self) -> bool {
        self == 0.0
    }

    fn same_bits(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }

    fn serialize_count<S: serde::Serializer>(self, serializer: S) -> Result<S::Ok, S::Error> {
        json::float(&self, serializer)
    }
}

/// A native histogram sample. `C` is `u64` ([`IntHistogram`]) or `f64`
/// ([`FloatHistogram`]).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Histogram<C: Count> {
    /// Counter-reset hint of this sample.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution: bucket boundaries are powers of `2^(2^-schema)` for schemas -4..=8;
    /// [`CUSTOM_BUCKETS_SCHEMA`] uses `custom_values` as bounds.
    pub schema: i32,
    /// Observations with absolute value up to this go to the zero bucket.
    #[serde(serialize_with = "json::float")]
    pub zero_threshold: f64,
    /// Count of the zero bucket.
    #[serde(serialize_with = "json::count")]
    pub zero_count: C,
    /// Total number of observations.
    #[serde(serialize_with = "json::count")]
    pub count: C,
    /// Sum of observations. A stale marker has Prometheus's stale NaN here (see
    /// [`Histogram::is_stale`]).
    #[serde(serialize_with = "json::float")]
    pub sum: f64,
    /// Layout of the positive buckets.
    pub positive_spans: Vec<Span>,
    /// Layout of the negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute count of every positive bucket the spans cover, in index order.
    #[serde(serialize_with = "json::counts")]
    pub positive_buckets: Vec<C>,
    /// Absolute count of every negative bucket the spans cover, in index order.
    #[serde(serialize_with = "json::counts")]
    pub negative_buckets: Vec<C>,
    /// Upper bounds of the custom buckets (schema [`CUSTOM_BUCKETS_SCHEMA`] only).
    #[serde(serialize_with = "json::floats", skip_serializing_if = "Vec::is_empty")]
    pub custom_values: Vec<f64>,
}

/// A histogram with integer counts (chunk encoding 2).
pub type IntHistogram = Histogram<u64>;
/// A histogram with float counts (chunk encoding 3).
pub type FloatHistogram = Histogram<f64>;

/// The bit pattern of Prometheus's stale marker (`value.StaleNaN`).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

impl<C: Count> Histogram<C> {
    /// True if this sample is a stale marker (its sum is the stale NaN).
    pub fn is_stale(&self) -> bool {
        self.sum.to_bits() == STALE_NAN_BITS
    }

    /// Empties every field, keeping the vectors' allocations for reuse.
    pub fn clear(&mut self) {
        self.counter_reset_hint = CounterResetHint::Unknown;
        self.schema = 0;
        self.zero_threshold = 0.0;
        self.zero_count = C::default();
        self.count = C::default();
        self.sum = 0.0;
        self.positive_spans.clear();
        self.negative_spans.clear();
        self.positive_buckets.clear();
        self.negative_buckets.clear();
        self.custom_values.clear();
    }
}

/// One bucket, as Go's `histogram.Bucket`: bounds with their inclusivity, the absolute count
/// and the bucket's index within its schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket<C> {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Whether `lower` belongs to the bucket (`[` rather than `(`).
    pub lower_inclusive: bool,
    /// Whether `upper` belongs to the bucket (`]` rather than `)`).
    pub upper_inclusive: bool,
    /// Number of observations in the bucket.
    pub count: C,
    /// Index of the bucket within its schema and sign; 0 for the zero bucket.
    pub index: i32,
}

/// Iterator over the positive or negative buckets of a [`Histogram`], in index order (see
/// [`Histogram::positive_buckets_iter`]).
#[derive(Debug, Clone)]
pub struct BucketIter<'a, C> {
    spans: &'a [Span],
    counts: &'a [C],
    /// Custom bounds; empty for negative buckets, as Go passes none to that iterator.
    custom_values: &'a [f64],
    schema: i32,
    positive: bool,
    span_idx: usize,
    idx_in_span: u32,
    bucket_idx: usize,
    index: i32,
}

impl<C: Count> Iterator for BucketIter<'_, C> {
    type Item = Bucket<C>;

    fn next(&mut self) -> Option<Bucket<C>> {
        // Go's bucket iterators, with their two guards: no bucket left, or no span left.
        let count = *self.counts.get(self.bucket_idx)?;
        let mut span = *self.spans.get(self.span_idx)?;
        let mut index = if self.bucket_idx == 0 {
            span.offset
        } else {
            self.index.wrapping_add(1)
        };
        // Move on past the exhausted span, and any span of length 0.
        while self.idx_in_span >= span.length {
            self.idx_in_span = 0;
            self.span_idx += 1;
            span = *self.spans.get(self.span_idx)?;
            index = index.wrapping_add(span.offset);
        }
        self.index = index;
        self.idx_in_span += 1;
        self.bucket_idx += 1;
        Some(self.bucket(index, count))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.counts.len().saturating_sub(self.bucket_idx)))
    }
}

impl<C: Count> std::iter::FusedIterator for BucketIter<'_, C> {}

impl<C: Count> BucketIter<'_, C> {
    /// The bucket at `index` with its bounds, as Go's `baseBucketIterator.at`.
    fn bucket(&self, index: i32, count: C) -> Bucket<C> {
        let bound = |i: i32| bucket_bound(i, self.schema, self.custom_values);
        let (lower, upper) = if self.positive {
            (bound(index.wrapping_sub(1)), bound(index))
        } else {
            (-bound(index), -bound(index.wrapping_sub(1)))
        };
        let (lower_inclusive, upper_inclusive) = if self.schema == CUSTOM_BUCKETS_SCHEMA {
            (index == 0, true)
        } else {
            (lower < 0.0, upper > 0.0)
        };
        Bucket {
            lower,
            upper,
            lower_inclusive,
            upper_inclusive,
            count,
            index,
        }
    }
}

impl<C: Count> Histogram<C> {
    /// The positive buckets in index order: every bucket the spans cover, with Go's bounds
    /// (`(lower, upper]` for exponential schemas; for custom buckets `(lower, upper]`, the
    /// first one `[-Inf, custom_values[0]]` and the last one up to `+Inf`).
    ///
    /// Like Go, it counts a span of length 0 only by its offset. Inconsistent data (from a
    /// corrupt file) never panics: iteration stops at the end of the spans or of
    /// `positive_buckets`, whichever comes first, and a bound Go would panic on (a custom
    /// bucket index past `custom_values`, a schema neither -4..=8 nor -53) is NaN.
    pub fn positive_buckets_iter(&self) -> BucketIter<'_, C> {
        self.buckets_iter(true)
    }

    /// The negative buckets in index order (so from the bucket nearest zero outwards), with
    /// bounds negated from the positive buckets of the same index: `[lower, upper)`. The
    /// same robustness rules as [`Histogram::positive_buckets_iter`] apply; for schema -53
    /// (which has no negative buckets) the bounds are computed as Go does, from no custom
    /// values: index 0 is `[-Inf,+Inf]`, others NaN.
    pub fn negative_buckets_iter(&self) -> BucketIter<'_, C> {
        self.buckets_iter(false)
    }

    fn buckets_iter(&self, positive: bool) -> BucketIter<'_, C> {
        let (spans, counts, custom_values): (_, _, &[f64]) = if positive {
            (
                &self.positive_spans,
                &self.positive_buckets,
                &self.custom_values,
            )
        } else {
            (&self.negative_spans, &self.negative_buckets, &[])
        };
        BucketIter {
            spans,
            counts,
            custom_values,
            schema: self.schema,
            positive,
            span_idx: 0,
            idx_in_span: 0,
            bucket_idx: 0,
            index: 0,
        }
    }

    /// The zero bucket, `[-zero_threshold, zero_threshold]` (both inclusive; a threshold of 0
    /// gives `[-0,0]`), index 0. Go 3.x panics if asked for it on a custom-buckets
    /// histogram; this returns it regardless.
    pub fn zero_bucket(&self) -> Bucket<C> {
        Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        }
    }
}

/// The bound between bucket `index - 1` and bucket `index` of `schema`, bit for bit as Go's
/// `getBound` (Prometheus 3.x; 2.x's is the same for exponential schemas): the upper bound of
/// positive bucket `index`.
///
/// - Exponential schemas -4..=8: `2^(index × 2^-schema)`, from Prometheus's table of bounds in
///   `[0.5, 1)` scaled with `math.Ldexp`, except that the bound that would be `2^1024` is
///   `f64::MAX` (so the next bucket, up to `+Inf`, holds only infinite observations).
///   Bounds underflow to subnormals and then 0 for very negative indexes, and overflow to
///   `+Inf` past the `f64::MAX` bucket.
/// - [`CUSTOM_BUCKETS_SCHEMA`]: `custom_values[index]`, `-Inf` for index -1, `+Inf` for
///   index `custom_values.len()`.
/// - Anything else (where Go panics or has no bounds): NaN.
pub fn bucket_bound(index: i32, schema: i32, custom_values: &[f64]) -> f64 {
    match schema {
        CUSTOM_BUCKETS_SCHEMA => match usize::try_from(index) {
            Ok(i) if i == custom_values.len() => f64::INFINITY,
            Ok(i) => custom_values.get(i).copied().unwrap_or(f64::NAN),
            Err(_) if index == -1 => f64::NEG_INFINITY,
            Err(_) => f64::NAN,
        },
        -4..=-1 => {
            let exp = i64::from(index) << -schema;
            if exp == 1024 {
                f64::MAX
            } else {
                ldexp(1.0, exp)
            }
        }
        0..=8 => {
            let frac = EXPONENTIAL_BOUNDS[((index & ((1 << schema) - 1)) << (8 - schema)) as usize];
            let exp = (i64::from(index) >> schema) + 1;
            if frac == 0.5 && exp == 1025 {
                f64::MAX
            } else {
                ldexp(frac, exp)
            }
        }
        _ => f64::NAN,
    }
}

/// `frac × 2^exp` rounded once (to nearest, ties to even), as Go's `math.Ldexp`: exact for
/// normal results, one correctly rounded step into subnormals, `±0` below half the smallest
/// subnormal, `±Inf` above `f64::MAX`.
fn ldexp(frac: f64, exp: i64) -> f64 {
    /// 2^-53: scales a normal number into the subnormal range with a single rounding.
    const TWO_POW_MINUS_53: f64 = 1.0 / (1u64 << 53) as f64;
    const EXP_MASK: u64 = 0x7ff << 52;
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, exp) = if frac.abs() < f64::MIN_POSITIVE {
        (frac * (1u64 << 52) as f64, exp.saturating_sub(52))
    } else {
        (frac, exp)
    };
    let bits = frac.to_bits();
    // Unbiased exponent of the result, whose significand is frac's.
    let e = (((bits & EXP_MASK) >> 52) as i64 - 1023).saturating_add(exp);
    if e < -1075 {
        return 0.0f64.copysign(frac);
    }
    if e > 1023 {
        return f64::INFINITY.copysign(frac);
    }
    let with_exponent = |e: i64| f64::from_bits((bits & !EXP_MASK) | (((e + 1023) as u64) << 52));
    if e < -1022 {
        with_exponent(e + 53) * TWO_POW_MINUS_53
    } else {
        with_exponent(e)
    }
}

/// Prometheus's table of exponential bucket bounds in `[0.5, 1)` for schema 8 (`exponentialBounds[8]`
/// in `model/histogram/generic.go`); schema `s` uses every `2^(8-s)`th entry, which
/// Prometheus's smaller tables match exactly. The values are Go's own (printed by Go): they
/// are `2^(i/256 - 1)` but often 1 to 4 ulps below the correctly rounded value (`0.7071067811865475`
/// for `2^-0.5`), so they cannot be recomputed and bit-identical bounds need this table.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const EXPONENTIAL_BOUNDS: [f64; 256] = [
    0.5,
    0.5013556375251013,
    0.5027149505564014,
    0.5040779490592088,
    0.5054446430258502,
    0.5068150424757447,
    0.5081891574554764,
    0.509566998038869,
    0.5109485743270583,
    0.5123338964485679,
    0.5137229745593818,
    0.5151158188430205,
    0.5165124395106142,
    0.5179128468009786,
    0.5193170509806894,
    0.520725062344158,
    0.5221368912137069,
    0.5235525479396449,
    0.5249720429003435,
    0.526395386502313,
    0.5278225891802786,
    0.5292536613972564,
    0.5306886136446309,
    0.5321274564422321,
    0.5335702003384117,
    0.5350168559101208,
    0.5364674337629877,
    0.5379219445313954,
    0.5393803988785598,
    0.5408428074966075,
    0.5423091811066545,
    0.5437795304588847,
    0.5452538663326288,
    0.5467321995364429,
    0.5482145409081883,
    0.549700901315111,
    0.5511912916539204,
    0.5526857228508706,
    0.5541842058618393,
    0.5556867516724088,
    0.5571933712979462,
    0.5587040757836845,
    0.5602188762048033,
    0.5617377836665098,
    0.5632608093041209,
    0.564787964283144,
    0.5663192597993595,
    0.5678547070789026,
    0.5693943173783458,
    0.5709381019847808,
    0.572486072215902,
    0.5740382394200894,
    0.5755946149764913,
    0.5771552102951081,
    0.5787200368168754,
    0.5802891060137493,
    0.5818624293887887,
    0.5834400184762408,
    0.585021884841625,
    0.5866080400818185,
    0.5881984958251406,
    0.5897932637314379,
    0.5913923554921704,
    0.5929957828304968,
    0.5946035575013605,
    0.5962156912915756,
    0.5978321960199137,
    0.5994530835371903,
    0.6010783657263515,
    0.6027080545025619,
    0.6043421618132907,
    0.6059806996384005,
    0.6076236799902344,
    0.6092711149137041,
    0.6109230164863786,
    0.6125793968185725,
    0.6142402680534349,
    0.6159056423670379,
    0.6175755319684665,
    0.6192499490999082,
    0.620928906036742,
    0.622612415087629,
    0.6243004885946023,
    0.6259931389331581,
    0.6276903785123455,
    0.6293922197748583,
    0.6310986751971253,
    0.6328097572894031,
    0.6345254785958666,
    0.6362458516947014,
    0.637970889198196,
    0.6397006037528346,
    0.6414350080393891,
    0.6431741147730128,
    0.6449179367033329,
    0.6466664866145447,
    0.6484197773255048,
    0.6501778216898253,
    0.6519406325959679,
    0.6537082229673385,
    0.6554806057623822,
    0.6572577939746774,
    0.659039800633032,
    0.6608266388015788,
    0.6626183215798706,
    0.6644148621029772,
    0.6662162735415805,
    0.6680225691020727,
    0.6698337620266515,
    0.6716498655934177,
    0.6734708931164728,
    0.6752968579460171,
    0.6771277734684463,
    0.6789636531064505,
    0.6808045103191123,
    0.6826503586020058,
    0.6845012114872953,
    0.6863570825438342,
    0.688217985377265,
    0.690083933630119,
    0.6919549409819159,
    0.6938310211492645,
    0.6957121878859629,
    0.6975984549830999,
    0.6994898362691555,
    0.7013863456101023,
    0.7032879969095076,
    0.7051948041086352,
    0.7071067811865475,
    0.7090239421602076,
    0.7109463010845827,
    0.7128738720527471,
    0.7148066691959849,
    0.7167447066838943,
    0.718687998724491,
    0.7206365595643126,
    0.7225904034885232,
    0.7245495448210174,
    0.7265139979245261,
    0.7284837772007218,
    0.7304588970903234,
    0.7324393720732029,
    0.7344252166684908,
    0.7364164454346837,
    0.7384130729697496,
    0.7404151139112358,
    0.7424225829363761,
    0.7444354947621984,
    0.7464538641456323,
    0.7484777058836176,
    0.7505070348132126,
    0.7525418658117031,
    0.7545822137967112,
    0.7566280937263048,
    0.7586795205991071,
    0.7607365094544071,
    0.762799075372269,
    0.7648672334736434,
    0.7669409989204777,
    0.7690203869158282,
    0.7711054127039704,
    0.7731960915705107,
    0.7752924388424999,
    0.7773944698885442,
    0.7795022001189185,
    0.7816156449856788,
    0.7837348199827764,
    0.7858597406461707,
    0.7879904225539431,
    0.7901268813264122,
    0.7922691326262467,
    0.7944171921585818,
    0.7965710756711334,
    0.7987307989543135,
    0.8008963778413465,
    0.8030678282083853,
    0.805245165974627,
    0.8074284071024302,
    0.8096175675974316,
    0.8118126635086642,
    0.8140137109286738,
    0.8162207259936375,
    0.8184337248834821,
    0.820652723822003,
    0.8228777390769823,
    0.8251087869603088,
    0.8273458838280969,
    0.8295890460808079,
    0.8318382901633681,
    0.8340936325652911,
    0.8363550898207981,
    0.8386226785089391,
    0.8408964152537144,
    0.8431763167241966,
    0.8454623996346523,
    0.8477546807446661,
    0.8500531768592616,
    0.8523579048290255,
    0.8546688815502312,
    0.8569861239649629,
    0.8593096490612387,
    0.8616394738731368,
    0.8639756154809185,
    0.8663180910111553,
    0.8686669176368529,
    0.871022112577578,
    0.8733836930995842,
    0.8757516765159389,
    0.8781260801866495,
    0.8805069215187917,
    0.8828942179666361,
    0.8852879870317771,
    0.8876882462632604,
    0.890095013257712,
    0.8925083056594671,
    0.8949281411607002,
    0.8973545375015533,
    0.8997875124702672,
    0.9022270839033115,
    0.9046732696855155,
    0.9071260877501991,
    0.909585556079304,
    0.9120516927035263,
    0.9145245157024483,
    0.9170040432046711,
    0.9194902933879467,
    0.9219832844793128,
    0.9244830347552253,
    0.9269895625416926,
    0.92950288621441,
    0.9320230241988943,
    0.9345499949706191,
    0.9370838170551498,
    0.93962450902828,
    0.9421720895161669,
    0.9447265771954693,
    0.9472879907934827,
    0.9498563490882775,
    0.9524316709088368,
    0.9550139751351947,
    0.9576032806985735,
    0.9601996065815236,
    0.9628029718180622,
    0.9654133954938133,
    0.9680308967461471,
    0.9706554947643201,
    0.9732872087896164,
    0.9759260581154889,
    0.9785720620876999,
    0.9812252401044634,
    0.9838856116165875,
    0.9865531961276168,
    0.9892280131939752,
    0.9919100824251095,
    0.9945994234836328,
    0.9972960560854698,
];

/// `serialize_with` helpers: non-finite floats as Prometheus's HTTP API spells them.
/// Serializes a float as tsblock's JSON does: a number, or `"stale"`, `"NaN"`,
/// `"+Inf"`, `"-Inf"`.
pub(crate) use json::float as json_float;

mod json {
    use super::Count;
    use serde::{Serialize, Serializer};

    /// A float as a JSON number, or `"stale"` (the stale marker), `"NaN"`, `"+Inf"`, `"-Inf"`.
    pub(crate) fn float<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        let v = *v;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.to_bits() == super::STALE_NAN_BITS {
            // A stale marker's sum: tools must be able to tell it from a NaN.
            s.serialize_str("stale")
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("+Inf")
        } else {
            s.serialize_str("-Inf")
        }
    }

    pub(super) fn floats<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| Float(x)))
    }

    pub(super) fn count<C: Count, S: Serializer>(v: &C, s: S) -> Result<S::Ok, S::Error> {
        v.serialize_count(s)
    }

    pub(super) fn counts<C: Count, S: Serializer>(v: &[C], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&c| CountJson(c)))
    }

    struct Float(f64);

    impl Serialize for Float {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            float(&self.0, s)
        }
    }

    struct CountJson<C>(C);

    impl<C: Count> Serialize for CountJson<C> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.serialize_count(s)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Also the fixture of `compat::model`'s `String()` tests.
    pub(crate) fn int_hist() -> IntHistogram {
        IntHistogram {
            schema: 0,
            count: 10,
            sum: 18.4,
            zero_threshold: 0.001,
            zero_count: 2,
            positive_spans: vec![
                Span {
                    offset: 0,
                    length: 2,
                },
                Span {
                    offset: 1,
                    length: 2,
                },
            ],
            positive_buckets: vec![1, 2, 0, 3],
            negative_spans: vec![
                Span {
                    offset: 0,
                    length: 1,
                },
                Span {
                    offset: 2,
                    length: 2,
                },
            ],
            negative_buckets: vec![1, 0, 2],
            ..Default::default()
        }
    }

    /// Also the fixture of `compat::model`'s `String()` tests.
    pub(crate) fn float_hist() -> FloatHistogram {
        FloatHistogram {
            schema: 3,
            count: 5.5,
            sum: -1e-7,
            zero_threshold: 0.0,
            zero_count: 0.5,
            positive_spans: vec![Span {
                offset: -2,
                length: 3,
            }],
            positive_buckets: vec![0.25, -0.0, f64::NAN],
            negative_spans: vec![Span {
                offset: 1,
                length: 1,
            }],
            negative_buckets: vec![f64::INFINITY],
            ..Default::default()
        }
    }

    /// `(schema, index, bits of getBound(index, schema))`, printed by a throwaway Go 1.19
    /// program that called Prometheus 3.0's `getBound` (identical to 2.48's for these
    /// schemas) and Go's `math.Ldexp`; the comment is Go's `%g`.
    #[rustfmt::skip]
    const GO_BOUNDS: &[(i32, i32, u64)] = &[
        (-4, 0, 0x3ff0000000000000), // 1
        (-4, 1, 0x40f0000000000000), // 65536
        (-4, -1, 0x3ef0000000000000), // 1.52587890625e-05
        (-4, 2, 0x41f0000000000000), // 4.294967296e+09
        (-4, -3, 0x3cf0000000000000), // 3.552713678800501e-15
        (-4, 5, 0x44f0000000000000), // 1.2089258196146292e+24
        (-4, 100, 0x7ff0000000000000), // +Inf
        (-4, -100, 0x0000000000000000), // 0
        (-4, 63, 0x7ef0000000000000), // 2.7430620343968443e+303
        (-4, 64, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (-4, 65, 0x7ff0000000000000), // +Inf
        (-4, -68, 0x0000000000000000), // 0
        (-4, -69, 0x0000000000000000), // 0
        (-4, -64, 0x0004000000000000), // 5.562684646268003e-309
        (-4, 2147483647, 0x7ff0000000000000), // +Inf
        (-4, -2147483648, 0x0000000000000000), // 0
        (-1, 0, 0x3ff0000000000000), // 1
        (-1, 1, 0x4010000000000000), // 4
        (-1, -1, 0x3fd0000000000000), // 0.25
        (-1, 2, 0x4030000000000000), // 16
        (-1, -3, 0x3f90000000000000), // 0.015625
        (-1, 5, 0x4090000000000000), // 1024
        (-1, 100, 0x4c70000000000000), // 1.6069380442589903e+60
        (-1, -100, 0x3370000000000000), // 6.223015277861142e-61
        (-1, 511, 0x7fd0000000000000), // 4.49423283715579e+307
        (-1, 512, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (-1, 513, 0x7ff0000000000000), // +Inf
        (-1, -537, 0x0000000000000001), // 5e-324
        (-1, -538, 0x0000000000000000), // 0
        (-1, -511, 0x0010000000000000), // 2.2250738585072014e-308
        (-1, 2147483647, 0x7ff0000000000000), // +Inf
        (-1, -2147483648, 0x0000000000000000), // 0
        (0, 0, 0x3ff0000000000000), // 1
        (0, 1, 0x4000000000000000), // 2
        (0, -1, 0x3fe0000000000000), // 0.5
        (0, 2, 0x4010000000000000), // 4
        (0, -3, 0x3fc0000000000000), // 0.125
        (0, 5, 0x4040000000000000), // 32
        (0, 100, 0x4630000000000000), // 1.2676506002282294e+30
        (0, -100, 0x39b0000000000000), // 7.888609052210118e-31
        (0, 1023, 0x7fe0000000000000), // 8.98846567431158e+307
        (0, 1024, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (0, 1025, 0x7ff0000000000000), // +Inf
        (0, -1074, 0x0000000000000001), // 5e-324
        (0, -1075, 0x0000000000000000), // 0
        (0, -1022, 0x0010000000000000), // 2.2250738585072014e-308
        (0, 2147483647, 0x7ff0000000000000), // +Inf
        (0, -2147483648, 0x0000000000000000), // 0
        (1, 0, 0x3ff0000000000000), // 1
        (1, 1, 0x3ff6a09e667f3bcc), // 1.414213562373095
        (1, -1, 0x3fe6a09e667f3bcc), // 0.7071067811865475
        (1, 2, 0x4000000000000000), // 2
        (1, -3, 0x3fd6a09e667f3bcc), // 0.35355339059327373
        (1, 5, 0x4016a09e667f3bcc), // 5.65685424949238
        (1, 100, 0x4310000000000000), // 1.125899906842624e+15
        (1, -100, 0x3cd0000000000000), // 8.881784197001252e-16
        (1, 2047, 0x7fe6a09e667f3bcc), // 1.2711610061536462e+308
        (1, 2048, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (1, 2049, 0x7ff0000000000000), // +Inf
        (1, -2148, 0x0000000000000001), // 5e-324
        (1, -2149, 0x0000000000000001), // 5e-324
        (1, -2150, 0x0000000000000000), // 0
        (1, -2044, 0x0010000000000000), // 2.2250738585072014e-308
        (1, 2147483647, 0x7ff0000000000000), // +Inf
        (1, -2147483648, 0x0000000000000000), // 0
        (3, 0, 0x3ff0000000000000), // 1
        (3, 1, 0x3ff172b83c7d517b), // 1.0905077326652577
        (3, -1, 0x3fed5818dcfba486), // 0.9170040432046711
        (3, 2, 0x3ff306fe0a31b715), // 1.189207115002721
        (3, -3, 0x3fe8ace5422aa0db), // 0.7711054127039704
        (3, 5, 0x3ff8ace5422aa0db), // 1.5422108254079407
        (3, 100, 0x40b6a09e667f3bcc), // 5792.618751480197
        (3, -100, 0x3f26a09e667f3bcc), // 0.00017263349150062194
        (3, 8191, 0x7fed5818dcfba486), // 1.6484918731100238e+308
        (3, 8192, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (3, 8193, 0x7ff0000000000000), // +Inf
        (3, -8592, 0x0000000000000001), // 5e-324
        (3, -8593, 0x0000000000000001), // 5e-324
        (3, -8600, 0x0000000000000000), // 0
        (3, -8176, 0x0010000000000000), // 2.2250738585072014e-308
        (3, 2147483647, 0x7ff0000000000000), // +Inf
        (3, -2147483648, 0x0000000000000000), // 0
        (3, 13, 0x4008ace5422aa0db), // 3.0844216508158815
        (3, -13, 0x3fd4bfdad5362a27), // 0.3242098886627524
        (3, -8500, 0x0000000000000b50), // 1.431e-320
        (3, -8589, 0x0000000000000001), // 5e-324
        (8, 0, 0x3ff0000000000000), // 1
        (8, 1, 0x3ff00b1afa5abcbf), // 1.0027112750502025
        (8, -1, 0x3fefe9d96b2a23d6), // 0.9972960560854698
        (8, 2, 0x3ff0163da9fb3335), // 1.0054299011128027
        (8, -3, 0x3fefbdba3692d512), // 0.9919100824251095
        (8, 5, 0x3ff037d42e11bbcc), // 1.0136300849514894
        (8, 100, 0x3ff4f9b2769d2ca7), // 1.3109612115247644
        (8, -100, 0x3fe868d99b4492eb), // 0.762799075372269
        (8, 262143, 0x7fefe9d96b2a23d6), // 1.7928322734501122e+308
        (8, 262144, 0x7fefffffffffffff), // 1.7976931348623157e+308
        (8, 262145, 0x7ff0000000000000), // +Inf
        (8, -274944, 0x0000000000000001), // 5e-324
        (8, -274945, 0x0000000000000001), // 5e-324
        (8, -275200, 0x0000000000000000), // 0
        (8, -261632, 0x0010000000000000), // 2.2250738585072014e-308
        (8, 2147483647, 0x7ff0000000000000), // +Inf
        (8, -2147483648, 0x0000000000000000), // 0
        (8, 77, 0x3ff3b57fbfec6cf4), // 1.2318112847340759
        (8, -77, 0x3fe9fa5e8d07f29c), // 0.8118126635086642
        (8, 128, 0x3ff6a09e667f3bcc), // 1.414213562373095
        (8, 255, 0x3fffe9d96b2a23d6), // 1.9945921121709396
        (8, 257, 0x40000b1afa5abcbf), // 2.005422550100405
        (8, -270000, 0x000000000009ef53), // 3.216817e-318
        (8, -274900, 0x0000000000000001), // 5e-324
        (8, -275000, 0x0000000000000001), // 5e-324
    ];

    #[test]
    fn bounds_match_go() {
        for &(schema, index, bits) in GO_BOUNDS {
            let got = bucket_bound(index, schema, &[]);
            assert_eq!(
                got.to_bits(),
                bits,
                "schema {schema} index {index}: {got:e}"
            );
        }
    }

    #[test]
    fn bounds_of_other_schemas() {
        let cv = [1.0, 2.5];
        let b = |i| bucket_bound(i, CUSTOM_BUCKETS_SCHEMA, &cv);
        assert_eq!(b(-1), f64::NEG_INFINITY);
        assert_eq!((b(0), b(1), b(2)), (1.0, 2.5, f64::INFINITY));
        assert!(b(3).is_nan() && b(-2).is_nan() && b(i32::MIN).is_nan());
        for schema in [-5, 9, 52, i32::MIN, i32::MAX] {
            assert!(bucket_bound(0, schema, &[]).is_nan());
        }
    }

    #[test]
    fn exponential_table_is_consistent() {
        assert_eq!(EXPONENTIAL_BOUNDS[0], 0.5);
        for (i, &v) in EXPONENTIAL_BOUNDS.iter().enumerate() {
            // Go's values sit within a few ulps of 2^(i/256 - 1), in increasing order.
            let exact = (i as f64 / 256.0 - 1.0).exp2();
            assert!(
                (v - exact).abs() <= 5.0 * f64::EPSILON,
                "{i}: {v} vs {exact}"
            );
            assert!(i == 0 || v > EXPONENTIAL_BOUNDS[i - 1]);
        }
    }

    #[test]
    fn ldexp_rounds_once() {
        // In units of the smallest subnormal: 0.75 → 1, 0.5 (tie) → 0, 1.5 (tie) → 2,
        // 2.5 (tie) → 2, 3.5 (tie) → 4.
        assert_eq!(ldexp(0.75, -1074).to_bits(), 1);
        assert_eq!(ldexp(0.5, -1074).to_bits(), 0);
        assert_eq!(ldexp(0.5000001, -1074).to_bits(), 1);
        assert_eq!(ldexp(0.75, -1073).to_bits(), 2);
        assert_eq!(ldexp(0.625, -1072).to_bits(), 2);
        assert_eq!(ldexp(0.875, -1072).to_bits(), 4);
        assert_eq!(ldexp(0.75, -1022), 0.75 * f64::MIN_POSITIVE);
        assert_eq!(ldexp(-0.5, 1025), f64::NEG_INFINITY);
        assert_eq!(ldexp(-0.75, -2000).to_bits(), (-0.0f64).to_bits());
        assert_eq!(ldexp(5e-324, 1074), 1.0); // subnormal input
        assert_eq!(ldexp(0.5, i64::MAX), f64::INFINITY);
        assert_eq!(ldexp(0.5, i64::MIN), 0.0);
    }

    #[test]
    fn iterators_yield_go_buckets() {
        let h = int_hist();
        let pos: Vec<_> = h.positive_buckets_iter().collect();
        let first = Bucket {
            lower: 0.5,
            upper: 1.0,
            lower_inclusive: false,
            upper_inclusive: true,
            count: 1,
            index: 0,
        };
        assert_eq!(pos[0], first);
        let idx: Vec<_> = pos.iter().map(|b| (b.index, b.count)).collect();
        assert_eq!(idx, [(0, 1), (1, 2), (3, 0), (4, 3)]);
        let neg: Vec<_> = h.negative_buckets_iter().collect();
        let last = Bucket {
            lower: -16.0,
            upper: -8.0,
            lower_inclusive: true,
            upper_inclusive: false,
            count: 2,
            index: 4,
        };
        assert_eq!(neg.last(), Some(&last));
        assert_eq!(neg.iter().map(|b| b.index).collect::<Vec<_>>(), [0, 3, 4]);
        let zero = h.zero_bucket();
        assert_eq!((zero.lower, zero.upper, zero.count), (-0.001, 0.001, 2));
        assert!(zero.lower_inclusive && zero.upper_inclusive);
    }

    #[test]
    fn custom_bucket_inclusivity() {
        let h = IntHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            custom_values: vec![1.0, 2.5, 10.0],
            positive_spans: vec![Span {
                offset: 0,
                length: 4,
            }],
            positive_buckets: vec![1, 2, 3, 4],
            ..Default::default()
        };
        let got: Vec<_> = h
            .positive_buckets_iter()
            .map(|b| (b.lower, b.upper, b.lower_inclusive, b.upper_inclusive))
            .collect();
        let inf = f64::INFINITY;
        assert_eq!(
            got,
            [
                (-inf, 1.0, true, true),
                (1.0, 2.5, false, true),
                (2.5, 10.0, false, true),
                (10.0, inf, false, true),
            ]
        );
    }

    #[test]
    fn json_keeps_everything_and_spells_non_finite_floats() {
        let json = serde_json::to_string(&int_hist()).unwrap();
        assert_eq!(
            json,
            r#"{"counter_reset_hint":"unknown","schema":0,"zero_threshold":0.001,"zero_count":2,"count":10,"sum":18.4,"positive_spans":[{"offset":0,"length":2},{"offset":1,"length":2}],"negative_spans":[{"offset":0,"length":1},{"offset":2,"length":2}],"positive_buckets":[1,2,0,3],"negative_buckets":[1,0,2]}"#
        );
        let mut h = float_hist();
        h.sum = f64::from_bits(STALE_NAN_BITS);
        h.count = f64::NEG_INFINITY;
        h.counter_reset_hint = CounterResetHint::Gauge;
        h.schema = CUSTOM_BUCKETS_SCHEMA;
        h.custom_values = vec![1.0, f64::INFINITY];
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"counter_reset_hint":"gauge","schema":-53,"zero_threshold":0.0,"zero_count":0.5,"count":"-Inf","sum":"stale","positive_spans":[{"offset":-2,"length":3}],"negative_spans":[{"offset":1,"length":1}],"positive_buckets":[0.25,-0.0,"NaN"],"negative_buckets":["+Inf"],"custom_values":[1.0,"+Inf"]}"#
        );
    }

    /// A reference model: expand the spans into indexes (Go's rules, including spans of
    /// length 0), pair them with the counts, stop at whichever ends first.
    fn reference(spans: &[Span], counts: &[u64]) -> Vec<(i32, u64)> {
        let mut out = Vec::new();
        let mut next = 0i32;
        for (k, s) in spans.iter().enumerate() {
            next = if k == 0 {
                s.offset
            } else {
                next.wrapping_add(s.offset)
            };
            for _ in 0..s.length {
                if out.len() == counts.len() {
                    return out;
                }
                out.push((next, counts[out.len()]));
                next = next.wrapping_add(1);
            }
        }
        out
    }

    #[test]
    fn iterators_survive_inconsistent_spans() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..3000 {
            let pick = |r: u64| match r {
                0 => i32::MIN,
                1 => i32::MAX,
                2 => -1,
                _ => r as i32 - 8,
            };
            let spans: Vec<Span> = (0..rand(5))
                .map(|_| Span {
                    offset: pick(rand(20)),
                    length: if rand(8) == 0 {
                        u32::MAX
                    } else {
                        rand(4) as u32
                    },
                })
                .collect();
            let counts: Vec<u64> = (0..rand(10)).map(|_| rand(3)).collect();
            let schema = [-53, -4, -1, 0, 3, 8, 9, -5][rand(8) as usize];
            let h = IntHistogram {
                schema,
                count: 1,
                zero_count: rand(2),
                positive_spans: spans.clone(),
                negative_spans: spans.clone(),
                positive_buckets: counts.clone(),
                negative_buckets: counts.clone(),
                custom_values: (0..rand(4)).map(|i| i as f64).collect(),
                ..Default::default()
            };
            let want = reference(&spans, &counts);
            let pos: Vec<_> = h
                .positive_buckets_iter()
                .map(|b| (b.index, b.count))
                .collect();
            let neg: Vec<_> = h
                .negative_buckets_iter()
                .map(|b| (b.index, b.count))
                .collect();
            assert_eq!(pos, want, "{spans:?} {counts:?}");
            assert_eq!(neg, want);
            let mut it = h.positive_buckets_iter();
            it.by_ref().for_each(drop);
            assert_eq!(it.next(), None);
            let _ = h.to_string();
        }
    }
}
