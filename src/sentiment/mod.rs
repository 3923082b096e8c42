//! Sentiment (stub).
