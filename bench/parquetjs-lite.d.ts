// parquetjs-lite ships no types; the benchmark uses it only as the baseline writer.
declare module 'parquetjs-lite';
