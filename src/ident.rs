//! Names that reach file names and generated code: a table's name (a plain
//! file stem) and the constant a table is emitted as, which
//! must be one identifier in Rust, Python and C/C++ at once, clash with no
//! keyword or standard macro, and pass `rustc -D warnings`
//! (`non_upper_case_globals`).
//!
//! ```
//! use polar_coeffs::ident::{check_const_name, default_const_name};
//!
//! assert!(check_const_name("POLAR_EXPRESS_2025").is_ok());
//! assert!(check_const_name("fn").is_err()); // lower case: a Rust keyword, and a warning
//! assert!(check_const_name("EOF").is_err()); // a C macro from <stdio.h>
//! assert_eq!(default_const_name("polar-express.v2"), "POLAR_EXPRESS_V2");
//! assert_eq!(default_const_name("eof"), "EOF_TABLE");
//! ```

/// Whether `name` is a plain file stem: letters, digits, `_`, `-`, `.`, not
/// starting with `.`, no path separators.
pub fn is_plain_stem(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Longest constant name.
pub const MAX_CONST_NAME: usize = 64;

/// Upper-case names the C and C++ standard headers (and POSIX) define as
/// macros or types, which a file that includes them would clash with.
const C_RESERVED: &[&str] = &[
    "NULL",
    "EOF",
    "BUFSIZ",
    "FILENAME_MAX",
    "FOPEN_MAX",
    "TMP_MAX",
    "L_TMPNAM",
    "FILE",
    "NAN",
    "INFINITY",
    "HUGE_VAL",
    "HUGE_VALF",
    "HUGE_VALL",
    "CLOCKS_PER_SEC",
    "DECIMAL_DIG",
    "I",
    "CMPLX",
    "CMPLXF",
    "CMPLXL",
    "NDEBUG",
    "ONCE_FLAG_INIT",
    "TSS_DTOR_ITERATIONS",
    "WEOF",
    "TRUE",
    "FALSE",
    "BOOL",
    "MB_LEN_MAX",
    "DIR",
    "ERRNO",
    "ASSERT",
    "OFFSETOF",
    "SETJMP",
    "JMP_BUF",
    "VA_LIST",
    "STDIN",
    "STDOUT",
    "STDERR",
    "MIN",
    "MAX",
    "ABS",
    "PI",
    "RAND_MAX",
    "EXIT_SUCCESS",
    "EXIT_FAILURE",
    "SEEK_SET",
    "SEEK_CUR",
    "SEEK_END",
    "TIME_UTC",
    "NOMINMAX",
    "EDOM",
    "ERANGE",
    "EILSEQ",
    "EINVAL",
    "EAGAIN",
    "ENOMEM",
    "ENOENT",
    "EEXIST",
    "EPERM",
    "EACCES",
    "EBADF",
    "EBUSY",
    "EINTR",
    "EIO",
    "ENOSPC",
    "EPIPE",
    "ESRCH",
    "ECHILD",
    "EFAULT",
    "ENOTDIR",
    "EISDIR",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "EFBIG",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "EWOULDBLOCK",
    "ENOTSUP",
    "EOVERFLOW",
    "ETIMEDOUT",
    "ECANCELED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "EXDEV",
    "ENODEV",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "ETXTBSY",
    "SIGABRT",
    "SIGFPE",
    "SIGILL",
    "SIGINT",
    "SIGSEGV",
    "SIGTERM",
    "SIGKILL",
    "SIGHUP",
    "SIGQUIT",
    "SIGPIPE",
    "SIGALRM",
    "SIGUSR1",
    "SIGUSR2",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGBUS",
    "SIGTRAP",
];

/// Prefixes of upper-case macro families in the C standard headers.
const C_RESERVED_PREFIXES: &[&str] = &[
    "FE_",
    "FP_",
    "FLT_",
    "DBL_",
    "LDBL_",
    "INT_",
    "UINT_",
    "INT8_",
    "INT16_",
    "INT32_",
    "INT64_",
    "UINT8_",
    "UINT16_",
    "UINT32_",
    "UINT64_",
    "INTMAX_",
    "UINTMAX_",
    "INTPTR_",
    "UINTPTR_",
    "INT_LEAST",
    "INT_FAST",
    "UINT_LEAST",
    "UINT_FAST",
    "LC_",
    "SIG_",
    "MATH_",
    "ATOMIC_",
    "CHAR_",
    "SCHAR_",
    "UCHAR_",
    "SHRT_",
    "USHRT_",
    "LONG_",
    "ULONG_",
    "LLONG_",
    "ULLONG_",
    "WCHAR_",
    "WINT_",
    "SIZE_",
    "PTRDIFF_",
    "MB_",
    "M_",
    "BITINT_",
    "TSS_",
    "MTX_",
    "THRD_",
    "MEMORY_ORDER_",
    "STDC_",
];

/// Suffixes of limit macros (`INT8_MAX`, `PATH_MAX`, `WCHAR_MIN`, …).
const C_RESERVED_SUFFIXES: &[&str] = &["_MAX", "_MIN", "_WIDTH", "_EPSILON", "_DIG", "_MANT_DIG"];

/// Why a constant name is refused (the "allowed" half of an error message).
pub const CONST_NAME_RULE: &str = "an upper-case identifier: A-Z, 0-9 and '_', starting with a letter or '_' and a \
digit, at most 64 characters, not a C/C++ standard macro (NULL, EOF, NAN, INT_MAX, EINVAL, SIGINT, …)";

/// Checks a constant name against the rules of every target language.
///
/// # Errors
///
/// What is wrong, in words.
pub fn check_const_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    if name.is_empty() || name.len() > MAX_CONST_NAME {
        return Err("not 1 to 64 characters");
    }
    if !bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_') {
        return Err("not only A-Z, 0-9 and '_' (a lower-case name is a warning in Rust and may be a keyword)");
    }
    match bytes {
        [b'0'..=b'9', ..] => return Err("starts with a digit"),
        [b'_', b'_', ..] | [b'_', b'A'..=b'Z', ..] => {
            return Err("starts with '_' and a capital or '__' (reserved in C)");
        }
        [b'_'] => return Err("'_' alone is not a name in Rust"),
        _ => {}
    }
    if !bytes.iter().any(u8::is_ascii_uppercase) {
        return Err("has no letter");
    }
    if C_RESERVED.contains(&name)
        || C_RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        || C_RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s))
    {
        return Err("a name the C/C++ standard headers define or reserve");
    }
    Ok(())
}

/// The default constant name of a table: its name upper-cased, every
/// character that cannot be in an identifier replaced by `_`, prefixed with
/// `_` when it starts with a digit and suffixed with `_TABLE` when the
/// result is reserved.
pub fn default_const_name(name: &str) -> String {
    let mut out: String =
        name.chars().take(48).map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if check_const_name(&out).is_err() {
        out = format!("{}_TABLE", out.trim_start_matches('_'));
        if out.starts_with(|c: char| c.is_ascii_digit()) || check_const_name(&out).is_err() {
            out = format!("TABLE_{out}");
        }
    }
    out
}

/// A field read back from a file that cannot hold its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value} is not allowed: {allowed}")]
pub struct FieldError {
    /// The field's path (`tables[0].name`).
    pub field: String,
    /// The value, quoted and cut.
    pub value: String,
    /// What the field allows.
    pub allowed: String,
}

impl FieldError {
    /// An error for `field` holding `value` (quoted here).
    pub fn new(field: impl Into<String>, value: &str, allowed: impl Into<String>) -> Self {
        Self { field: field.into(), value: quoted(value), allowed: allowed.into() }
    }
}

/// Longest part of a value quoted back in a message.
pub const QUOTE_CHARS: usize = 80;

/// A value as quoted in an error message: escaped like a Rust string
/// (control characters, quotes and backslashes cannot reach the terminal
/// raw) and cut to [`QUOTE_CHARS`] characters with the full length noted.
pub fn quoted(text: &str) -> String {
    let count = text.chars().count();
    if count <= QUOTE_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(QUOTE_CHARS).collect();
        format!("{head:?}… ({count} characters)")
    }
}

/// `text` with control characters escaped (`\u{7}`, `\n`) and cut to
/// `max` characters, the full length noted: how a value reaches a terminal.
pub fn escaped_cut(text: &str, max: usize) -> String {
    let escaped: String =
        text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect();
    match escaped.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… ({} characters)", &escaped[..cut], escaped.chars().count()),
        None => escaped,
    }
}

/// Whether `text` is safe to print as one line of prose in a generated
/// file's comment: at most `max` characters, no control characters.
pub fn is_plain_text(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_break_a_target_are_refused() {
        for bad in [
            "fn", "static", "class", "None", "int", "EOF", "NAN", "NULL", "INT_MAX", "EINVAL", "SIGINT", "_X", "__A",
            "_", "A-B", "Ä", "PATH_MAX", "rows", "X y", "1A",
        ] {
            assert!(check_const_name(bad).is_err(), "{bad}");
        }
        for good in ["A", "X", "POLAR_EXPRESS_2025", "_5STEP", "MIX", "GREEDY_D5", "ROWS", "TORCH"] {
            assert_eq!(check_const_name(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn default_names_always_pass() {
        for name in ["greedy_d5", "5step", "e5", "null", "int.max", "x", "_", "-", "eof", "sig", "a.b-c"] {
            let c = default_const_name(name);
            assert_eq!(check_const_name(&c), Ok(()), "{name} -> {c}");
        }
    }
}
