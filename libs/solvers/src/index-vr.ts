// Exports of the vr solver group (filled by its implementation).
export {};
