//! The server under a flood of half-sent requests (slowloris) from one address: it keeps
//! answering everyone else, and closes the slow connections once their header time is up.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn half_sent_requests_from_one_client_do_not_starve_the_others() {
    let dir = TempDir::new("slowloris");
    let port = free_port();
    let config = write_config_with(
        dir.path(),
        port,
        "header_read_timeout_seconds = 2\nmax_connections_per_client = 64",
    );
    let mut server = start_server(&config, &dir.path().join("server.log"));
    wait_healthy(port, &mut server);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // 3000 connections from 127.0.0.2, each sending an unfinished request.
        let mut held = Vec::new();
        for _ in 0..3000 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            if let Ok(Ok(mut s)) = tokio::time::timeout(
                Duration::from_secs(2),
                socket.connect(format!("127.0.0.1:{port}").parse().unwrap()),
            )
            .await
            {
                let _ = s
                    .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .await;
                held.push(s);
            }
        }
        assert!(held.len() > 1000, "the flood connected: {}", held.len());
        // Everyone else is still served, at once.
        let health = tokio::task::spawn_blocking(move || {
            ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(5))
                .build()
                .get(&format!("http://127.0.0.1:{port}/health"))
                .call()
                .map(|r| r.status())
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap();
        assert_eq!(health.ok(), Some(200), "/health answered while flooded");
        // After the header time, the slow connections are closed by the server.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut closed = 0;
        for s in held.iter_mut() {
            if closed_by_server(s).await {
                closed += 1;
            }
        }
        assert_eq!(closed, held.len(), "every half-sent connection was closed");
    });
}

/// Whether the server closed the connection: reads (an error answer may come first) until
/// the end of the stream.
async fn closed_by_server(s: &mut tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}
