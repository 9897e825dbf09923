// Exports of the multiclass area (filled by its implementation).
export {};
