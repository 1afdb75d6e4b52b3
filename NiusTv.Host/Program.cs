namespace NiusTv.Host; public static class Program { public static int Main(string[] a) => 0; }
