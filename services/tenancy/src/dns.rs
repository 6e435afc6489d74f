//! DNS TXT lookups for custom-domain verification: a small stub resolver over UDP
//! (RFC 1035 messages), against a configurable server so tests run a local one.
//! Answers larger than one UDP datagram (truncated) are treated as "no record".

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

/// Why a lookup failed (as opposed to finding no record).
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("dns server {server}: {reason}")]
    Server { server: SocketAddr, reason: String },
}

const TYPE_TXT: u16 = 16;
const CLASS_IN: u16 = 1;

/// The TXT strings of `name` (each record's strings joined), empty if none.
pub async fn lookup_txt(server: SocketAddr, name: &str) -> Result<Vec<String>, DnsError> {
    let fail = |reason: String| DnsError::Server { server, reason };
    let id: u16 = rand::random();
    let query = encode_query(id, name).ok_or_else(|| fail(format!("{name:?} is not a valid DNS name")))?;
    let bind = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let socket = UdpSocket::bind(bind).await.map_err(|e| fail(e.to_string()))?;
    socket.connect(server).await.map_err(|e| fail(e.to_string()))?;
    socket.send(&query).await.map_err(|e| fail(e.to_string()))?;
    let mut buffer = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let received = tokio::time::timeout_at(deadline, socket.recv(&mut buffer))
            .await
            .map_err(|_| fail("no answer within 3s".into()))?
            .map_err(|e| fail(e.to_string()))?;
        // Ignore stray datagrams that are not our answer.
        if let Some(answer) = decode_answer(id, &buffer[..received]) {
            return answer.map_err(fail);
        }
    }
}

/// A standard query with recursion desired.
pub fn encode_query(id: u16, name: &str) -> Option<Vec<u8>> {
    let mut message = Vec::with_capacity(64);
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    message.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1
    encode_name(name, &mut message)?;
    message.extend_from_slice(&TYPE_TXT.to_be_bytes());
    message.extend_from_slice(&CLASS_IN.to_be_bytes());
    Some(message)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Option<()> {
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Some(())
}

/// `None` when the datagram is not the answer to `id`; otherwise the TXT strings or
/// the server's error.
pub fn decode_answer(id: u16, message: &[u8]) -> Option<Result<Vec<String>, String>> {
    let read_u16 = |at: usize| message.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    if read_u16(0)? != id || message[2] & 0x80 == 0 {
        return None;
    }
    let flags = read_u16(2)?;
    if flags & 0x0200 != 0 {
        return Some(Ok(Vec::new())); // truncated: see module docs
    }
    match flags & 0x000f {
        0 => {}
        3 => return Some(Ok(Vec::new())), // NXDOMAIN
        rcode => return Some(Err(format!("server answered rcode {rcode}"))),
    }
    let questions = read_u16(4)?;
    let answers = read_u16(6)?;
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(message, at)? + 4;
    }
    let mut texts = Vec::new();
    for _ in 0..answers {
        at = skip_name(message, at)?;
        let kind = read_u16(at)?;
        let class = read_u16(at + 2)?;
        let length = read_u16(at + 8)? as usize;
        let data = message.get(at + 10..at + 10 + length)?;
        at += 10 + length;
        if kind != TYPE_TXT || class != CLASS_IN {
            continue;
        }
        let mut text = String::new();
        let mut i = 0;
        while i < data.len() {
            let n = data[i] as usize;
            text.push_str(&String::from_utf8_lossy(data.get(i + 1..i + 1 + n)?));
            i += 1 + n;
        }
        texts.push(text);
    }
    Some(Ok(texts))
}

/// Position after a (possibly compressed) name.
fn skip_name(message: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let length = *message.get(at)?;
        if length & 0xc0 == 0xc0 {
            return Some(at + 2);
        }
        if length == 0 {
            return Some(at + 1);
        }
        at += 1 + length as usize;
    }
}

/// The first `nameserver` of /etc/resolv.conf, port 53.
pub fn system_server() -> Option<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines().find_map(|line| {
        let address = line.trim().strip_prefix("nameserver")?.trim();
        let ip: std::net::IpAddr = address.parse().ok()?;
        Some(SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_through_the_wire_format() {
        let query = encode_query(7, "_canopy-verify.portal.example.com").unwrap();
        // Build an answer: header (id, QR|RD|RA, QD=1, AN=1), the question, then a
        // compressed-name TXT answer with two strings.
        let mut answer = vec![0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        answer.extend_from_slice(&query[12..]);
        answer.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60]);
        let rdata = [&[5u8][..], b"abc12", &[3u8][..], b"def"].concat();
        answer.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        answer.extend_from_slice(&rdata);
        assert_eq!(decode_answer(7, &answer), Some(Ok(vec!["abc12def".to_string()])));
        assert_eq!(decode_answer(8, &answer), None);
    }

    #[test]
    fn names_with_empty_or_long_labels_are_not_encoded() {
        assert!(encode_query(1, "a..b").is_none());
        assert!(encode_query(1, &format!("{}.com", "a".repeat(64))).is_none());
    }
}
