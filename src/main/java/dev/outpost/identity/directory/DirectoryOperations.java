package dev.outpost.identity.directory;

/**
 * Tunnel operations of directory identity (wire schema 1).
 *
 * <pre>
 * appliance -> hub   identity.directories {}                                -> {items:[settings with secret]}
 * hub -> appliance   directory.test     {directoryId, username, password?}  -> test result
 * hub -> appliance   directory.groups   {directoryId, query}                -> {items:[{dn, name}]}
 * </pre>
 */
public final class DirectoryOperations {

  public static final String SETTINGS = "identity.directories";
  public static final String TEST = "directory.test";
  public static final String GROUPS = "directory.groups";

  private DirectoryOperations() {
  }
}
