enum _PlaceholderMaxConnector {}
