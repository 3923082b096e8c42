//! One spelling per email address, so that look-alikes compare equal before they are
//! stored, looked up or linked: Unicode NFKC (full-width letters become ASCII), no
//! zero-width or other invisible format characters, no surrounding space, lower case.

use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing (zero-width space/joiners, BOM, soft hyphen, ...).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
    ) || c.is_control()
}

/// The canonical form of an email address.
pub fn normalize_email(raw: &str) -> String {
    raw.nfkc()
        .filter(|c| !invisible(*c))
        .collect::<String>()
        .trim()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_become_one_address() {
        assert_eq!(
            normalize_email(" Olivia@Example.COM "),
            "olivia@example.com"
        );
        assert_eq!(
            normalize_email("oli\u{200B}via@example.com"),
            "olivia@example.com"
        );
        assert_eq!(
            normalize_email("ｏｌｉｖｉａ@example.com"),
            "olivia@example.com"
        );
        assert_eq!(
            normalize_email("\u{FEFF}olivia@exam\u{2060}ple.com"),
            "olivia@example.com"
        );
    }
}
