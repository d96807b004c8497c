// Minimal typings for the parts of WaveDrom and onml that the wave renderer uses.
declare module 'wavedrom' {
  const wavedrom: { renderAny(index: number, source: unknown, skin: unknown): unknown };
  export default wavedrom;
}
declare module 'wavedrom/skins/default.js' {
  const skin: unknown;
  export default skin;
}
declare module 'onml' {
  const onml: { s(tree: unknown): string };
  export default onml;
}
