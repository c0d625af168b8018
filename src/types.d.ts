// Module declarations for non-code imports that Bun bundles (text files embedded in the binary).
declare module "*.md" {
  const text: string;
  export default text;
}
