struct item {
	int key;
	int *weight;
};

int by_weight(const void *a, const void *b);
