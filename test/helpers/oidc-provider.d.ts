// oidc-provider ships no types; the tests use a small part of it, typed loosely.
declare module 'oidc-provider' {
  const Provider: any;
  type Provider = any;
  export default Provider;
}
