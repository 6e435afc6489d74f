//! Streams pass through the gateway frame by frame: server-streaming in order,
//! client-streaming in full, and a client's cancellation reaches the service.

use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn a_server_stream_passes_through_in_order() {
    let world = World::start().await;
    let user = world.customer("viewer").await;
    let mut stream = world
        .client()
        .await
        .count(bearer(CountRequest { count: 50, interval_ms: 1 }, &world.token(&user)))
        .await
        .expect("count through the gateway")
        .into_inner();
    let mut numbers = Vec::new();
    while let Some(item) = stream.message().await.expect("stream item") {
        numbers.push(item.number);
    }
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
}

#[tokio::test]
async fn client_cancellation_reaches_the_service() {
    let world = World::start().await;
    let user = world.customer("viewer").await;
    let mut stream = world
        .client()
        .await
        .count(bearer(CountRequest { count: 100_000, interval_ms: 20 }, &world.token(&user)))
        .await
        .expect("count through the gateway")
        .into_inner();
    for expected in 1..=3 {
        assert_eq!(stream.message().await.unwrap().unwrap().number, expected);
    }
    let cancelled = world.events.stream_cancelled.notified();
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), cancelled).await.expect("the upstream noticed the client went away");
}

#[tokio::test]
async fn a_client_stream_passes_through_in_full() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let values: Vec<SumRequest> = (1..=200).map(|value| SumRequest { value }).collect();
    let request = bearer(tokio_stream::iter(values), &world.token(&user));
    let response = world.client().await.sum(request).await.expect("sum through the gateway").into_inner();
    assert_eq!(response.messages, 200);
    assert_eq!(response.total, (1..=200).sum::<i64>());
}
