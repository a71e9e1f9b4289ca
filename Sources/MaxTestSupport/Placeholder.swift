enum _PlaceholderMaxTestSupport {}
