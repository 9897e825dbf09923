// Exports of the cleaning area (filled by its implementation).
export {};
