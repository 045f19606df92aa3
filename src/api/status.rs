//! Mapping HCX status words to the snapshot's four states. A word we do not recognise is
//! `unknown`, never `healthy`: the word lists are in [`super::inferred`]. The simulator uses the
//! same mapping to shape its answers.

use super::inferred::{DEGRADED_WORDS, HEALTHY_WORDS, TUNNEL_DOWN_WORDS, TUNNEL_UP_WORDS, UNHEALTHY_WORDS};
use crate::snapshot::{Status, TunnelStatus};

fn is_one_of(word: &str, words: &[&str]) -> bool {
    let w = word.trim();
    words.iter().any(|k| k.eq_ignore_ascii_case(w))
}

/// Read a status word case-insensitively; anything not recognised is [`Status::Unknown`].
pub fn map_status(word: &str) -> Status {
    if is_one_of(word, HEALTHY_WORDS) {
        Status::Healthy
    } else if is_one_of(word, DEGRADED_WORDS) {
        Status::Degraded
    } else if is_one_of(word, UNHEALTHY_WORDS) {
        Status::Unhealthy
    } else {
        Status::Unknown
    }
}

/// Read a tunnel state word; anything not recognised is [`TunnelStatus::Unknown`].
pub fn map_tunnel(word: &str) -> TunnelStatus {
    if is_one_of(word, TUNNEL_UP_WORDS) {
        TunnelStatus::Up
    } else if is_one_of(word, TUNNEL_DOWN_WORDS) {
        TunnelStatus::Down
    } else {
        TunnelStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_words_case_insensitively() {
        for w in ["HEALTHY", "healthy", "Up", "CONNECTED", "green", "OK", " ok "] {
            assert_eq!(map_status(w), Status::Healthy, "{w}");
        }
        for w in ["DEGRADED", "warning"] {
            assert_eq!(map_status(w), Status::Degraded, "{w}");
        }
        for w in ["DOWN", "error", "Failed", "RED", "unhealthy"] {
            assert_eq!(map_status(w), Status::Unhealthy, "{w}");
        }
    }

    #[test]
    fn anything_else_is_unknown_never_healthy() {
        for w in [
            "",
            "HEALTHYISH",
            "NOT_HEALTHY",
            "UNKNOWN",
            "okay",
            "RUNNING",
            "COMMITTED",
            "null",
            "💚",
        ] {
            assert_eq!(map_status(w), Status::Unknown, "{w}");
        }
    }

    #[test]
    fn tunnels() {
        assert_eq!(map_tunnel("up"), TunnelStatus::Up);
        assert_eq!(map_tunnel("DOWN"), TunnelStatus::Down);
        assert_eq!(map_tunnel("FLAPPING"), TunnelStatus::Unknown);
    }
}
