//! ISO 4217 currencies: which codes exist (active ones) and their minor units, so an
//! amount in minor units (cents) can be checked and converted exactly.

/// Active ISO 4217 codes with two minor digits (the usual case).
const TWO_DIGITS: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND",
    "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP", "CVE", "CZK",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD",
    "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK",
    "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON",
    "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD",
    "YER", "ZAR", "ZMW", "ZWG",
];
/// Codes without minor units.
const ZERO_DIGITS: &[&str] =
    &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
/// Codes with three minor digits.
const THREE_DIGITS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// The number of minor digits of an active ISO 4217 currency, `None` for anything
/// else (lower case included: codes are upper case).
pub fn minor_digits(code: &str) -> Option<u32> {
    if TWO_DIGITS.contains(&code) {
        Some(2)
    } else if ZERO_DIGITS.contains(&code) {
        Some(0)
    } else if THREE_DIGITS.contains(&code) {
        Some(3)
    } else {
        None
    }
}

/// Micros (millionths of the unit) in one minor unit of `code`; `None` for an unknown code.
pub fn micros_per_minor_unit(code: &str) -> Option<i64> {
    minor_digits(code).map(|digits| 10_i64.pow(6 - digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_codes_and_their_minor_units() {
        assert_eq!(minor_digits("USD"), Some(2));
        assert_eq!(minor_digits("JPY"), Some(0));
        assert_eq!(minor_digits("KWD"), Some(3));
        assert_eq!(minor_digits("usd"), None);
        assert_eq!(minor_digits("XXX"), None);
        assert_eq!(micros_per_minor_unit("USD"), Some(10_000));
        assert_eq!(micros_per_minor_unit("JPY"), Some(1_000_000));
    }
}
