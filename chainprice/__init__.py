"""chainprice: an exchange-free BTC/USD price read from the Bitcoin chain itself."""
