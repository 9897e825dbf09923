// Exports of the imaging area (filled by its implementation).
export {};
