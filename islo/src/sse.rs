//! Incremental [Server-Sent Events] parser.
//!
//! [`SseParser`] is a push-based parser that follows the WHATWG
//! `text/event-stream` interpretation rules: lines may end in CR, LF or CRLF
//! (also when the CR and the LF arrive in different chunks), comment lines
//! (starting with `:`) are ignored, multiple `data:` lines are joined with
//! `\n`, and an event is dispatched on a blank line. Input may be split at any
//! byte position, including in the middle of a multi-byte UTF-8 character.
//!
//! [`sse_events`] adapts a stream of byte chunks (for example an HTTP response
//! body) into a stream of [`SseEvent`]s.
//!
//! Deviations from the browser algorithm, chosen for an SDK that must never
//! silently corrupt data:
//!
//! * an event whose data is not valid UTF-8 (checked once per event, when it completes),
//!   or another line that is not, yields [`SseError::InvalidUtf8`] instead of being
//!   decoded with replacement characters;
//! * an event (or a single line) larger than the configured limit yields
//!   [`SseError::EventTooLarge`] instead of growing without bound;
//! * at the end of input, [`SseParser::finish`] dispatches a final event that
//!   was not followed by a blank line (browsers discard it).
//!
//! [Server-Sent Events]: https://html.spec.whatwg.org/multipage/server-sent-events.html

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

/// Default limit for the size of a single event, see
/// [`SseParser::with_max_event_bytes`].
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// The UTF-8 byte order mark, skipped once at the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type from the `event:` field, or `"message"` when the event
    /// had no (or an empty) `event:` field.
    pub event: String,
    /// The event payload: all `data:` lines of the event joined with `\n`.
    pub data: String,
    /// The last event ID at the time this event was dispatched.
    ///
    /// As in the browser `EventSource`, the ID persists across events: it is
    /// set by an `id:` field (in this or an earlier event) and cleared by an
    /// empty `id:` field. `None` when no ID is in effect. IDs containing a NUL
    /// character are ignored. The events that carry one ID share it (it is counted once
    /// against the event size limit, however many events follow).
    pub id: Option<Arc<str>>,
    /// The reconnection time from a `retry:` field received since the
    /// previously dispatched event, if any.
    pub retry: Option<Duration>,
}

/// Errors produced while parsing an event stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line of the stream is not valid UTF-8.
    #[error("event stream contains a line that is not valid UTF-8")]
    InvalidUtf8,
    /// An event (or a single unterminated line) exceeded the size limit.
    #[error("event stream event exceeds the limit of {limit} bytes")]
    EventTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The underlying byte stream failed (its error, with credentials redacted, follows
    /// the message; the error itself is the source).
    #[error("reading the event stream failed: {}", crate::secret::redact_credentials(&.0.to_string()))]
    Transport(#[source] Box<dyn StdError + Send + Sync + 'static>),
}

/// Cloneable record of a parse error, so a failed parser keeps failing.
#[derive(Debug, Clone, Copy)]
enum Failure {
    InvalidUtf8,
    TooLarge,
}

/// Incremental, push-based Server-Sent Events parser.
///
/// Feed byte chunks with [`push`](Self::push) as they arrive and call
/// [`finish`](Self::finish) at the end of input. Once a method has returned an
/// error the parser is poisoned and keeps returning that error.
#[derive(Debug, Clone)]
pub struct SseParser {
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF of the next chunk belongs
    /// to the same line end.
    skip_lf: bool,
    /// No line has been completed yet (the BOM check is still pending).
    at_start: bool,
    /// The `data` buffer of the event being built (checked to be UTF-8 when the event is
    /// dispatched: a line break never splits a character, so checking the joined lines once
    /// is the same as checking each).
    data: Vec<u8>,
    /// Whether at least one `data` field was seen for the current event.
    has_data: bool,
    /// The event type buffer.
    event_type: String,
    /// The last event ID (persists across events; shared by the events that carry it).
    last_event_id: Option<Arc<str>>,
    /// A `retry` value not yet attached to a dispatched event.
    pending_retry: Option<Duration>,
    /// The most recent `retry` value.
    reconnection_time: Option<Duration>,
    max_event_bytes: usize,
    failed: Option<Failure>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// Creates a parser with the default event size limit
    /// ([`DEFAULT_MAX_EVENT_BYTES`], 16 MiB).
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// Creates a parser that refuses events larger than `max_event_bytes`.
    ///
    /// The limit bounds the memory held for one event: the bytes of the
    /// current unterminated line plus the accumulated `data` and `event`
    /// buffers. Exceeding it yields [`SseError::EventTooLarge`]. A stream that
    /// never terminates a line or an event therefore fails instead of using
    /// unbounded memory.
    pub fn with_max_event_bytes(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            skip_lf: false,
            at_start: true,
            data: Vec::new(),
            has_data: false,
            event_type: String::new(),
            last_event_id: None,
            pending_retry: None,
            reconnection_time: None,
            max_event_bytes,
            failed: None,
        }
    }

    /// The current last event ID (the value to send as `Last-Event-ID` when
    /// reconnecting), or `None` if no ID is in effect.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The most recent reconnection time announced with a `retry:` field.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.reconnection_time
    }

    /// Parses the next chunk of the stream and returns the events it
    /// completed (often none).
    ///
    /// # Errors
    ///
    /// [`SseError::InvalidUtf8`] if a completed line is not valid UTF-8 and
    /// [`SseError::EventTooLarge`] if the current event exceeds the limit.
    /// Events completed earlier in the same chunk are discarded with the
    /// error; the parser is poisoned afterwards.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        self.check_failed()?;
        let mut events = Vec::new();
        match self.push_inner(chunk, &mut events) {
            Ok(()) => Ok(events),
            Err(failure) => Err(self.fail(failure)),
        }
    }

    /// Signals the end of input and returns the final event if the stream
    /// ended without the blank line that would normally dispatch it.
    ///
    /// An unterminated last line is processed as if it had been terminated.
    /// Afterwards the parser is reset to the start-of-stream state, except
    /// for the last event ID and reconnection time, so it may be reused for a
    /// reconnected stream.
    ///
    /// # Errors
    ///
    /// As for [`push`](Self::push).
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        self.check_failed()?;
        let mut events = Vec::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            if let Err(failure) = self.process_line(&line, &mut events) {
                return Err(self.fail(failure));
            }
        }
        // Processing a non-empty line dispatches at most one event (when the
        // line was only a byte order mark).
        let event = match events.pop() {
            Some(event) => Some(event),
            None => match self.dispatch() {
                Ok(event) => event,
                Err(failure) => return Err(self.fail(failure)),
            },
        };
        self.reset_event();
        self.line.clear();
        self.skip_lf = false;
        self.at_start = true;
        Ok(event)
    }

    fn check_failed(&self) -> Result<(), SseError> {
        match self.failed {
            None => Ok(()),
            Some(failure) => Err(self.error_for(failure)),
        }
    }

    fn fail(&mut self, failure: Failure) -> SseError {
        self.failed = Some(failure);
        // Release the memory held for the partial event.
        self.line = Vec::new();
        self.data = Vec::new();
        self.event_type = String::new();
        self.error_for(failure)
    }

    fn error_for(&self, failure: Failure) -> SseError {
        match failure {
            Failure::InvalidUtf8 => SseError::InvalidUtf8,
            Failure::TooLarge => SseError::EventTooLarge {
                limit: self.max_event_bytes,
            },
        }
    }

    fn push_inner(&mut self, mut chunk: &[u8], events: &mut Vec<SseEvent>) -> Result<(), Failure> {
        if self.skip_lf {
            if let Some((&first, rest)) = chunk.split_first() {
                self.skip_lf = false;
                if first == b'\n' {
                    chunk = rest;
                }
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', chunk) {
            let (content, rest) = chunk.split_at(pos);
            // `rest` starts with the CR or LF found above.
            let mut after = rest.get(1..).unwrap_or_default();
            if rest.first() == Some(&b'\r') {
                match after.split_first() {
                    Some((b'\n', tail)) => after = tail,
                    Some(_) => {}
                    // The LF of a CRLF may be the first byte of the next chunk.
                    None => self.skip_lf = true,
                }
            }
            if self.line.is_empty() {
                // The same limit as for a line buffered across chunks, so that the outcome
                // never depends on where the input was split.
                self.ensure_fits(content.len())?;
                self.process_line(content, events)?;
            } else {
                self.ensure_fits(content.len())?;
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(content);
                let result = self.process_line(&line, events);
                // Keep the allocation for the next partial line.
                line.clear();
                self.line = line;
                result?;
            }
            chunk = after;
        }
        if !chunk.is_empty() {
            self.ensure_fits(chunk.len())?;
            self.line.extend_from_slice(chunk);
        }
        Ok(())
    }

    /// Checks that `additional` more bytes of the current line keep the event
    /// within the limit.
    fn ensure_fits(&self, additional: usize) -> Result<(), Failure> {
        let held = self.line.len() + self.event_bytes();
        if held.saturating_add(additional) > self.max_event_bytes {
            Err(Failure::TooLarge)
        } else {
            Ok(())
        }
    }

    /// Checks that adding `additional` bytes to the event buffers keeps the
    /// event within the limit (the line being processed has already been
    /// taken out of the line buffer).
    fn ensure_fits_event(&self, additional: usize) -> Result<(), Failure> {
        let held = self.event_bytes();
        if held.saturating_add(additional) > self.max_event_bytes {
            Err(Failure::TooLarge)
        } else {
            Ok(())
        }
    }

    /// The bytes the event being built holds: its data, its type and the ID it will carry.
    fn event_bytes(&self) -> usize {
        self.data.len()
            + self.event_type.len()
            + self.last_event_id.as_ref().map_or(0, |id| id.len())
    }

    fn process_line(&mut self, mut line: &[u8], events: &mut Vec<SseEvent>) -> Result<(), Failure> {
        if self.at_start {
            self.at_start = false;
            if let Some(rest) = line.strip_prefix(BOM) {
                line = rest;
            }
        }
        if line.is_empty() {
            if let Some(event) = self.dispatch()? {
                events.push(event);
            }
            self.reset_event();
            return Ok(());
        }
        if line.first() == Some(&b':') {
            // Comment or keep-alive.
            return Ok(());
        }
        // The hot path: a `data` line is appended as bytes (see `data`).
        if let Some(rest) = line.strip_prefix(b"data") {
            let value = match rest.split_first() {
                None => Some(&b""[..]),
                Some((b':', v)) => Some(v.strip_prefix(b" ").unwrap_or(v)),
                Some(_) => None,
            };
            if let Some(value) = value {
                self.ensure_fits_event(value.len() + 1)?;
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
                return Ok(());
            }
        }
        let line = std::str::from_utf8(line).map_err(|_| Failure::InvalidUtf8)?;
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => {
                self.ensure_fits_event(value.len())?;
                self.event_type.clear();
                self.event_type.push_str(value);
            }
            // Taken by the hot path above; kept for a field spelled exactly `data`.
            "data" => {
                self.ensure_fits_event(value.len() + 1)?;
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value.as_bytes());
                self.has_data = true;
            }
            // IDs containing NUL are ignored.
            "id" if !value.contains('\0') => {
                let current = self.last_event_id.as_ref().map_or(0, |id| id.len());
                self.ensure_fits_event(value.len().saturating_sub(current))?;
                self.last_event_id = (!value.is_empty()).then(|| Arc::from(value));
            }
            // Only ASCII digits are accepted; values too large for a u64 are
            // ignored like other invalid values.
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(millis) = value.parse::<u64>() {
                    let retry = Duration::from_millis(millis);
                    self.pending_retry = Some(retry);
                    self.reconnection_time = Some(retry);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Builds the event from the buffers if it has data; the caller resets
    /// the buffers afterwards.
    fn dispatch(&mut self) -> Result<Option<SseEvent>, Failure> {
        if !self.has_data {
            return Ok(None);
        }
        // The next event starts with room for one as large as this one (output events
        // tend to be alike), so its data is not grown from empty again.
        let room = self.data.len().min(64 * 1024);
        let data = std::mem::replace(&mut self.data, Vec::with_capacity(room));
        let data = String::from_utf8(data).map_err(|_| Failure::InvalidUtf8)?;
        let event = if self.event_type.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(&mut self.event_type)
        };
        Ok(Some(SseEvent {
            event,
            data,
            id: self.last_event_id.clone(),
            retry: self.pending_retry.take(),
        }))
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
    }
}

/// Adapts a stream of byte chunks into a stream of server-sent events.
///
/// A transport error of the input is passed on as [`SseError::Transport`]
/// (keeping the original error as its source) and ends the stream, as does a
/// parse error. At the end of input a final event that was not followed by a
/// blank line is still emitted.
pub fn sse_events<S, E>(stream: S) -> SseStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: StdError + Send + Sync + 'static,
{
    sse_events_with_parser(stream, SseParser::new())
}

/// Like [`sse_events`], with a caller-configured parser (for example one
/// created with [`SseParser::with_max_event_bytes`]).
pub fn sse_events_with_parser<S, E>(stream: S, parser: SseParser) -> SseStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: StdError + Send + Sync + 'static,
{
    SseStream {
        input: Box::pin(stream),
        parser,
        queue: VecDeque::new(),
        done: false,
    }
}

/// The stream returned by [`sse_events`]: server-sent events parsed from a
/// stream of byte chunks.
///
/// It is `Unpin`, and `Send`/`Sync` when the input stream is.
pub struct SseStream<S> {
    input: Pin<Box<S>>,
    parser: SseParser,
    queue: VecDeque<SseEvent>,
    done: bool,
}

impl<S> SseStream<S> {
    /// The parser's current last event ID, to send as `Last-Event-ID` when
    /// reconnecting.
    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id()
    }

    /// The most recent reconnection time announced by the server.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.parser.reconnection_time()
    }
}

impl<S> fmt::Debug for SseStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("parser", &self.parser)
            .field("queued_events", &self.queue.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S, E> Stream for SseStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: StdError + Send + Sync + 'static,
{
    type Item = Result<SseEvent, SseError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(event) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(event)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match this.input.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => match this.parser.push(&chunk) {
                    Ok(events) => this.queue.extend(events),
                    Err(err) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(err)));
                    }
                },
                Poll::Ready(Some(Err(err))) => {
                    this.done = true;
                    let err: Box<dyn StdError + Send + Sync> = Box::new(err);
                    // reqwest's error names the request's URL, which may carry query values.
                    let err = match err.downcast::<reqwest::Error>() {
                        Ok(e) => Box::new(e.without_url()),
                        Err(other) => other,
                    };
                    return Poll::Ready(Some(Err(SseError::Transport(err))));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    return match this.parser.finish() {
                        Ok(Some(event)) => Poll::Ready(Some(Ok(event))),
                        Ok(None) => Poll::Ready(None),
                        Err(err) => Poll::Ready(Some(Err(err))),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.to_owned(),
            data: data.to_owned(),
            id: None,
            retry: None,
        }
    }

    /// Parses `input` as one chunk plus `finish`.
    fn parse_all(input: &[u8]) -> Vec<SseEvent> {
        parse_chunks(&[input])
    }

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(parser.push(chunk).unwrap());
        }
        events.extend(parser.finish().unwrap());
        events
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let events = parse_all(b"data: first\ndata:second\ndata\ndata: fourth\n\n");
        assert_eq!(events, vec![ev("message", "first\nsecond\n\nfourth")]);
    }

    #[test]
    fn event_field_sets_type_and_resets_after_dispatch() {
        let events = parse_all(b"event: update\ndata: a\n\ndata: b\n\nevent:\ndata: c\n\n");
        assert_eq!(
            events,
            vec![ev("update", "a"), ev("message", "b"), ev("message", "c")]
        );
    }

    #[test]
    fn only_one_leading_space_is_stripped_from_values() {
        let events = parse_all(b"data:  two spaces\ndata:none\ndata: a: b\n\n");
        assert_eq!(events, vec![ev("message", " two spaces\nnone\na: b")]);
    }

    #[test]
    fn comments_and_keep_alives_are_ignored() {
        let events =
            parse_all(b":keep-alive\n: ping\n\ndata: x\n:comment inside\ndata: y\n\n:\n\n");
        assert_eq!(events, vec![ev("message", "x\ny")]);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let events = parse_all(b"foo: bar\ndata: x\nbaz\nData: no\n\n");
        assert_eq!(events, vec![ev("message", "x")]);
    }

    #[test]
    fn event_without_data_is_not_dispatched() {
        let events = parse_all(b"event: ping\n\nevent: other\ndata: x\n\n");
        assert_eq!(events, vec![ev("other", "x")]);
    }

    #[test]
    fn empty_data_field_dispatches_empty_event() {
        let events = parse_all(b"data\n\ndata:\n\n");
        assert_eq!(events, vec![ev("message", ""), ev("message", "")]);
    }

    #[test]
    fn cr_lf_and_crlf_line_endings_are_equivalent() {
        let expected = vec![ev("e", "a\nb"), ev("message", "c")];
        assert_eq!(
            parse_all(b"event: e\ndata: a\ndata: b\n\ndata: c\n\n"),
            expected
        );
        assert_eq!(
            parse_all(b"event: e\rdata: a\rdata: b\r\rdata: c\r\r"),
            expected
        );
        assert_eq!(
            parse_all(b"event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"),
            expected
        );
        // Mixed endings in one stream.
        assert_eq!(
            parse_all(b"event: e\rdata: a\r\ndata: b\n\r\ndata: c\r\n"),
            expected
        );
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        // If the CR and LF were two line ends, the second would dispatch the
        // event early and "b" would become a separate event.
        let events = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(events, vec![ev("message", "a\nb")]);
    }

    #[test]
    fn cr_at_chunk_end_followed_by_other_data_is_a_line_end() {
        let events = parse_chunks(&[b"data: a\r", b"data: b\r", b"\r"]);
        assert_eq!(events, vec![ev("message", "a\nb")]);
    }

    #[test]
    fn empty_chunk_between_cr_and_lf_does_not_break_crlf() {
        let events = parse_chunks(&[b"data: a\r", b"", b"\ndata: b\n\n"]);
        assert_eq!(events, vec![ev("message", "a\nb")]);
    }

    const SAMPLE: &[u8] = "\u{FEFF}: hello\r\nretry: 2500\r\nid: 1\r\nevent: gr\u{00FC}\u{00DF}e\r\ndata: caf\u{00E9} \u{1F600}\r\ndata:\u{65E5}\u{672C}\r\n\r\n\
data: second\rid\r\r\
event: x\ndata:  third\n: c\n\nid: 7\ndata: last"
        .as_bytes();

    fn sample_expected() -> Vec<SseEvent> {
        vec![
            SseEvent {
                event: "gr\u{00FC}\u{00DF}e".to_owned(),
                data: "caf\u{00E9} \u{1F600}\n\u{65E5}\u{672C}".to_owned(),
                id: Some("1".into()),
                retry: Some(Duration::from_millis(2500)),
            },
            ev("message", "second"),
            ev("x", " third"),
            SseEvent {
                event: "message".to_owned(),
                data: "last".to_owned(),
                id: Some("7".into()),
                retry: None,
            },
        ]
    }

    #[test]
    fn sample_stream_parses_as_expected() {
        assert_eq!(parse_all(SAMPLE), sample_expected());
    }

    #[test]
    fn every_single_split_point_yields_identical_events() {
        let expected = sample_expected();
        for split in 0..=SAMPLE.len() {
            let (a, b) = SAMPLE.split_at(split);
            assert_eq!(parse_chunks(&[a, b]), expected, "split at {split}");
        }
    }

    #[test]
    fn a_stream_without_cr_parses_alike_at_every_split_and_at_every_limit() {
        // The same events whether lines end in LF or CRLF, however the LF form is split.
        let lf: &[u8] = b"event: stdout\ndata: a\ndata:b\ndata\n: c\nid: 4\n\ndata: last\n\nevent: exit\ndata: 0\n\n";
        let crlf: Vec<u8> = String::from_utf8_lossy(lf)
            .replace('\n', "\r\n")
            .into_bytes();
        let expected = parse_all(&crlf);
        assert_eq!(expected.len(), 3);
        assert_eq!(expected[0].data, "a\nb\n");
        for split in 0..=lf.len() {
            let (a, b) = lf.split_at(split);
            assert_eq!(parse_chunks(&[a, b]), expected, "split at {split}");
        }
        for limit in 0..40 {
            let outcome = |input: &[u8]| {
                let mut p = SseParser::with_max_event_bytes(limit);
                p.push(input).map_err(|e| e.to_string())
            };
            assert_eq!(outcome(lf), outcome(&crlf), "limit {limit}");
        }
    }

    #[test]
    fn every_pair_of_split_points_yields_identical_events() {
        let expected = sample_expected();
        for i in 0..=SAMPLE.len() {
            for j in i..=SAMPLE.len() {
                let chunks = [&SAMPLE[..i], &SAMPLE[i..j], &SAMPLE[j..]];
                assert_eq!(parse_chunks(&chunks), expected, "splits at {i}, {j}");
            }
        }
    }

    #[test]
    fn byte_at_a_time_yields_identical_events() {
        let chunks: Vec<&[u8]> = SAMPLE.chunks(1).collect();
        assert_eq!(parse_chunks(&chunks), sample_expected());
    }

    #[test]
    fn final_event_without_trailing_blank_line_is_flushed() {
        let mut parser = SseParser::new();
        assert_eq!(parser.push(b"data: a\n\ndata: b\n").unwrap().len(), 1);
        assert_eq!(parser.finish().unwrap(), Some(ev("message", "b")));
        // Also when the last line itself is unterminated.
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: c").unwrap().is_empty());
        assert_eq!(parser.finish().unwrap(), Some(ev("message", "c")));
        // And nothing when the stream ended cleanly.
        let mut parser = SseParser::new();
        assert_eq!(parser.push(b"data: d\n\n").unwrap().len(), 1);
        assert_eq!(parser.finish().unwrap(), None);
    }

    #[test]
    fn leading_bom_is_skipped_once() {
        let events = parse_all(b"\xEF\xBB\xBFdata: a\n\n");
        assert_eq!(events, vec![ev("message", "a")]);
        // A BOM split over chunks is still recognised.
        let events = parse_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"]);
        assert_eq!(events, vec![ev("message", "a")]);
        // A second BOM is part of the field name, so that line is ignored.
        let events = parse_all(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n");
        assert_eq!(events, vec![ev("message", "b")]);
    }

    #[test]
    fn oversized_event_is_an_error() {
        let mut parser = SseParser::with_max_event_bytes(64);
        let line = format!("data: {}\n", "x".repeat(40));
        assert!(parser.push(line.as_bytes()).unwrap().is_empty());
        let err = parser.push(line.as_bytes()).unwrap_err();
        assert!(
            matches!(err, SseError::EventTooLarge { limit: 64 }),
            "{err:?}"
        );
        // The parser stays failed.
        assert!(matches!(
            parser.push(b"\n\n"),
            Err(SseError::EventTooLarge { limit: 64 })
        ));
    }

    #[test]
    fn endless_line_is_an_error_not_unbounded_memory() {
        let mut parser = SseParser::with_max_event_bytes(1024);
        let chunk = [b'a'; 100];
        let mut result = Ok(Vec::new());
        for _ in 0..100 {
            result = parser.push(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(
            result,
            Err(SseError::EventTooLarge { limit: 1024 })
        ));
        assert_eq!(parser.line.capacity(), 0, "buffers are released");
    }

    #[test]
    fn many_small_comment_lines_do_not_hit_the_limit() {
        let mut parser = SseParser::with_max_event_bytes(64);
        for _ in 0..1000 {
            assert!(parser.push(b": keep-alive\n").unwrap().is_empty());
        }
        assert_eq!(
            parser.push(b"data: x\n\n").unwrap(),
            vec![ev("message", "x")]
        );
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut parser = SseParser::new();
        let err = parser.push(b"data: \xFF\xFE\n\n").unwrap_err();
        assert!(matches!(err, SseError::InvalidUtf8), "{err:?}");
        assert!(matches!(parser.finish(), Err(SseError::InvalidUtf8)));
        // Truncated multi-byte sequence at the end of a data line: the event it belongs to
        // fails when it completes (data is checked once per event).
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: \xE2\x82\n").unwrap().is_empty());
        assert!(matches!(parser.push(b"\n"), Err(SseError::InvalidUtf8)));
        // In another field, at the end of its line.
        let mut parser = SseParser::new();
        assert!(matches!(
            parser.push(b"event: \xE2\x82\n"),
            Err(SseError::InvalidUtf8)
        ));
        // In an unterminated last line.
        let mut parser = SseParser::new();
        parser.push(b"data: \xC3").unwrap();
        assert!(matches!(parser.finish(), Err(SseError::InvalidUtf8)));
    }

    #[test]
    fn id_persists_and_is_cleared_by_empty_id() {
        let events = parse_all(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
        assert_eq!(events[0].id.as_deref(), Some("1"));
        assert_eq!(events[1].id.as_deref(), Some("1"));
        assert_eq!(events[2].id, None);
    }

    #[test]
    fn id_containing_nul_is_ignored() {
        let events = parse_all(b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n");
        assert_eq!(events[1].id.as_deref(), Some("1"));
    }

    #[test]
    fn id_is_tracked_even_when_no_event_is_dispatched() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"id: 42\n\n").unwrap().is_empty());
        assert_eq!(parser.last_event_id(), Some("42"));
        let events = parser.push(b"data: x\n\n").unwrap();
        assert_eq!(events[0].id.as_deref(), Some("42"));
    }

    #[test]
    fn retry_accepts_only_digits() {
        let mut parser = SseParser::new();
        let events = parser
            .push(b"retry: 1500\ndata: a\n\nretry: 12a\ndata: b\n\nretry: -5\nretry: 1.5\nretry:\ndata: c\n\n")
            .unwrap();
        assert_eq!(events[0].retry, Some(Duration::from_millis(1500)));
        assert_eq!(events[1].retry, None);
        assert_eq!(events[2].retry, None);
        assert_eq!(
            parser.reconnection_time(),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn retry_without_data_is_attached_to_the_next_event() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"retry: 3000\n\n").unwrap().is_empty());
        assert_eq!(parser.reconnection_time(), Some(Duration::from_secs(3)));
        let events = parser.push(b"data: a\n\ndata: b\n\n").unwrap();
        assert_eq!(events[0].retry, Some(Duration::from_secs(3)));
        assert_eq!(events[1].retry, None);
    }

    #[test]
    fn overflowing_retry_is_ignored() {
        let mut parser = SseParser::new();
        parser.push(b"retry: 99999999999999999999999\n\n").unwrap();
        assert_eq!(parser.reconnection_time(), None);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection reset")]
    struct Reset;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn stream_adapter_emits_events_and_final_event() {
        let chunks: Vec<Result<Bytes, Reset>> = SAMPLE
            .chunks(7)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let items: Vec<_> = block_on(sse_events(futures_util::stream::iter(chunks)).collect());
        let events: Vec<SseEvent> = items.into_iter().map(Result::unwrap).collect();
        assert_eq!(events, sample_expected());
    }

    #[test]
    fn stream_adapter_reports_transport_error_with_source() {
        let chunks: Vec<Result<Bytes, Reset>> = vec![
            Ok(Bytes::from_static(b"data: a\n\n")),
            Err(Reset),
            Ok(Bytes::from_static(b"data: b\n\n")),
        ];
        let items: Vec<_> = block_on(sse_events(futures_util::stream::iter(chunks)).collect());
        assert_eq!(items.len(), 2, "stream ends after the error");
        assert_eq!(items[0].as_ref().unwrap(), &ev("message", "a"));
        let err = items[1].as_ref().unwrap_err();
        assert!(matches!(err, SseError::Transport(_)));
        let source = err.source().unwrap();
        assert!(source.downcast_ref::<Reset>().is_some());
    }

    #[test]
    fn an_event_id_is_shared_by_the_events_that_carry_it_not_copied() {
        // One large id, then many tiny events in the same chunk: memory must not grow with
        // (id size x events).
        let mut input = format!("id: {}\n", "x".repeat(256 * 1024)).into_bytes();
        for _ in 0..4096 {
            input.extend_from_slice(b"data:a\n\n");
        }
        let mut parser = SseParser::new();
        let events = parser.push(&input).unwrap();
        assert_eq!(events.len(), 4096);
        let first = events[0].id.as_ref().unwrap();
        assert_eq!(first.len(), 256 * 1024);
        for e in &events {
            assert!(std::sync::Arc::ptr_eq(e.id.as_ref().unwrap(), first));
        }
    }

    #[test]
    fn an_event_id_counts_against_the_event_size_limit() {
        let mut parser = SseParser::with_max_event_bytes(1024);
        let input = format!("id: {}\ndata: a\n\n", "x".repeat(2000));
        assert!(matches!(
            parser.push(input.as_bytes()),
            Err(SseError::EventTooLarge { limit: 1024 })
        ));
        // Within the limit an id (plus the event it rides on) is fine.
        let mut parser = SseParser::with_max_event_bytes(1024);
        let input = format!("id: {}\ndata: a\n\n", "x".repeat(900));
        assert_eq!(parser.push(input.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn stream_adapter_is_unpin_and_tracks_last_event_id() {
        fn check<T: Unpin + Send + Sync>(_: &T) {}
        let chunks: Vec<Result<Bytes, Reset>> = vec![Ok(Bytes::from_static(b"id: 9\ndata: a\n\n"))];
        let mut stream = sse_events(futures_util::stream::iter(chunks));
        check(&stream);
        let first = block_on(stream.next()).unwrap().unwrap();
        assert_eq!(first.id.as_deref(), Some("9"));
        assert_eq!(stream.last_event_id(), Some("9"));
        assert!(block_on(stream.next()).is_none());
        assert!(block_on(stream.next()).is_none(), "fused after the end");
    }

    #[test]
    fn stream_adapter_reports_parse_error_and_stops() {
        let chunks: Vec<Result<Bytes, Reset>> = vec![
            Ok(Bytes::from_static(b"data: \xFF\n\n")),
            Ok(Bytes::from_static(b"data: b\n\n")),
        ];
        let items: Vec<_> = block_on(sse_events(futures_util::stream::iter(chunks)).collect());
        assert_eq!(items.len(), 1);
        assert!(matches!(items[0], Err(SseError::InvalidUtf8)));
    }
}
