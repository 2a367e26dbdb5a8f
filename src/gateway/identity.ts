export interface Identity {
  id: string;
  kind: 'key' | 'oidc' | 'token' | 'anonymous' | 'local';
  roles: string[];
  claims?: Record<string, unknown>;
}
