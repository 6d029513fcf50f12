/**
 * Names made when first read. The objects a kernel structure owns (a uprobe's lines, locks,
 * refcount and seqcount) are named after it, "register_rwsem(/usr/bin/shopd+0x1139)". A large
 * probe set makes them by the ten thousand and reads almost none of the names: they appear in
 * step labels only while steps are recorded, and in failure messages. So an object keeps its
 * role and its owner, and the name is put together when something asks for it.
 */

/** What owns named objects: the part of their names that says whose they are. */
export interface NameOwner {
  nameKey(): string;
}

/** The name of the object `role` of `owner`, or just `role` for an object nobody owns. */
export function ownedName(role: string, owner: NameOwner | null): string {
  return owner === null ? role : `${role}(${owner.nameKey()})`;
}
