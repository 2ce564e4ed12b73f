// simple-oauth2 ships no types; the few calls the tests make.
declare module 'simple-oauth2' {
  export interface ModuleOptions {
    client: { id: string; secret: string; secretParamName?: string; idParamName?: string };
    auth: { tokenHost: string; tokenPath?: string; refreshPath?: string; revokePath?: string };
    options?: { authorizationMethod?: 'header' | 'body'; bodyFormat?: 'form' | 'json' };
    http?: Record<string, unknown>;
  }
  export interface Token {
    access_token: string;
    refresh_token?: string;
    token_type: string;
    expires_in: number;
    expires_at?: Date;
    [key: string]: unknown;
  }
  export interface AccessToken {
    token: Token;
    expired(expirationWindowSeconds?: number): boolean;
    refresh(params?: Record<string, unknown>): Promise<AccessToken>;
  }
  export class ResourceOwnerPassword {
    constructor(options: ModuleOptions);
    getToken(params: { username: string; password: string; scope?: string | string[]; [key: string]: unknown }): Promise<AccessToken>;
  }
  export class ClientCredentials {
    constructor(options: ModuleOptions);
    getToken(params?: { scope?: string | string[]; [key: string]: unknown }): Promise<AccessToken>;
  }
}
