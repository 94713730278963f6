/**
 * Roles and what each may do: the one table an app author edits to add a
 * permission. A route asks for a permission (`requirePermission('users:manage')`),
 * never for a role, so widening or narrowing a role is a change here only.
 */
export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['users:manage', 'notes:read:any'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  user: [],
  admin: ['users:manage', 'notes:read:any'],
};

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Does `role` carry `permission`? An unknown role carries nothing. */
export function can(role: string, permission: Permission): boolean {
  return isRole(role) && GRANTS[role].includes(permission);
}
