// Exports of the loaders area (filled by its implementation).
export {};
