/* The functions libbpf-bootstrap's uprobe example probes in its own executable; the Python
 * port (uprobe.py) builds them into a shared library and calls them through ctypes. */
__attribute__((noinline)) int uprobed_add(int a, int b)
{
	asm volatile ("");
	return a + b;
}

__attribute__((noinline)) int uprobed_sub(int a, int b)
{
	asm volatile ("");
	return a - b;
}
