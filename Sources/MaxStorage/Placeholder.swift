enum _PlaceholderMaxStorage {}
