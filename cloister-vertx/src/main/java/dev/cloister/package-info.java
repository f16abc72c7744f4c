/**
 * Cloister for Vert.x: consensus-gated cluster assembly, a topology state machine,
 * consistent-hash rings and sibling calls on the vertx-infinispan cluster manager.
 */
@ModuleGen(name = "cloister", groupPackage = "dev.cloister")
package dev.cloister;

import io.vertx.codegen.annotations.ModuleGen;
