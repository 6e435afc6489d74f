//! Amounts as the providers write them (decimal strings, JSON numbers) read exactly into
//! millionths of the currency unit: no binary floating point on the way, so
//! "12.345678" is 12 345 678 and a day's lines sum to the invoice.

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an amount: {reason}")]
pub struct AmountError {
    pub text: String,
    pub reason: &'static str,
}

/// Digits kept before giving up (an i128 holds 38).
const MAX_DIGITS: usize = 36;
/// Largest exponent magnitude accepted ("1.5E-7" appears in billing data; 1E+40 does not).
const MAX_EXPONENT: i32 = 30;

/// `text` (an optional sign, digits with an optional decimal point, an optional
/// exponent) in millionths. Digits past the sixth decimal round half away from zero,
/// so "0.0000005" is 1 and "-0.0000005" is -1.
pub fn parse_micros(text: &str) -> Result<i64, AmountError> {
    let fail = |reason| AmountError { text: text.chars().take(64).collect(), reason };
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (number, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let exponent = &rest[at + 1..];
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail("the exponent is not a number"));
            }
            let value: i32 = exponent.parse().map_err(|_| fail("the exponent is not a number"))?;
            if value.abs() > MAX_EXPONENT {
                return Err(fail("the exponent is out of range"));
            }
            (&rest[..at], value)
        }
        None => (rest, 0),
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(fail("there are no digits"));
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(fail("only digits, one decimal point, a sign and an exponent are allowed"));
    }
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let significant = digits.trim_start_matches('0');
    if significant.len() > MAX_DIGITS {
        return Err(fail("too many digits"));
    }
    let mantissa: i128 =
        if significant.is_empty() { 0 } else { significant.parse().map_err(|_| fail("too many digits"))? };
    // value = mantissa × 10^(exponent − fraction digits); micros = value × 10^6.
    let shift = exponent + 6 - fraction.len() as i32;
    let magnitude = if shift >= 0 {
        let factor = 10i128.checked_pow(shift as u32).ok_or_else(|| fail("the amount is too large"))?;
        mantissa.checked_mul(factor).ok_or_else(|| fail("the amount is too large"))?
    } else {
        let cut = (-shift) as u32;
        if cut > MAX_DIGITS as u32 {
            0
        } else {
            let divisor = 10i128.pow(cut);
            let (quotient, remainder) = (mantissa / divisor, mantissa % divisor);
            if remainder * 2 >= divisor { quotient + 1 } else { quotient }
        }
    };
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| fail("the amount is too large"))
}

/// A JSON number as an amount. serde_json keeps non-integers as `f64`, whose shortest
/// round-trip text is the provider's own decimal text whenever it had at most 15
/// significant digits (every real cost); that text is then read exactly.
pub fn number_micros(number: &serde_json::Number) -> Result<i64, AmountError> {
    if let Some(integer) = number.as_i64() {
        return integer
            .checked_mul(1_000_000)
            .ok_or_else(|| AmountError { text: integer.to_string(), reason: "the amount is too large" });
    }
    parse_micros(&number.to_string())
}

/// A JSON value that is a number or a decimal string, as an amount.
pub(crate) fn value_micros(value: &serde_json::Value) -> Result<i64, AmountError> {
    match value {
        serde_json::Value::Number(number) => number_micros(number),
        serde_json::Value::String(text) => parse_micros(text),
        other => Err(AmountError { text: other.to_string(), reason: "not a number" }),
    }
}

/// Micros as a decimal text with six places ("-1.500000"), for the stand-ins' answers.
pub fn format_micros(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let magnitude = micros.unsigned_abs();
    format!("{sign}{}.{:06}", magnitude / 1_000_000, magnitude % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_decimals_exactly() {
        assert_eq!(parse_micros("12.345678"), Ok(12_345_678));
        assert_eq!(parse_micros("0.1"), Ok(100_000));
        assert_eq!(parse_micros("-3.5"), Ok(-3_500_000));
        assert_eq!(parse_micros("1.5E-6"), Ok(2));
        assert_eq!(parse_micros("2e3"), Ok(2_000_000_000));
        assert_eq!(parse_micros(".5"), Ok(500_000));
        assert_eq!(parse_micros("0.00000049"), Ok(0));
        assert!(parse_micros("").is_err());
        assert!(parse_micros("1,5").is_err());
        assert!(parse_micros("NaN").is_err());
        assert!(parse_micros("1e").is_err());
    }

    #[test]
    fn formats_micros() {
        assert_eq!(format_micros(-1_500_000), "-1.500000");
        assert_eq!(format_micros(12_345_678), "12.345678");
    }
}
