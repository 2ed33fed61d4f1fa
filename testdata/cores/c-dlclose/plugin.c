int plugin_transform(int x) { return x * 3 + 1; }
