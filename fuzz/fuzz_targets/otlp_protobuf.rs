//! OTLP/protobuf bodies → spans: never a panic, and what is accepted reads back.
#![no_main]

#[path = "../../server/src/otlp/decode.rs"]
#[allow(dead_code)]
mod decode;

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    if let Ok(request) = decode::protobuf_request(body)
        && let Ok(rows) = decode::spans(request, None)
    {
        for row in rows {
            serde_json::from_str::<serde_json::Value>(&row.attributes).expect("stored attributes read back");
            serde_json::from_str::<serde_json::Value>(&row.events).expect("stored events read back");
        }
    }
});
