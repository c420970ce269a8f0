/**
 * A CarsXE answer about a connected vehicle holds its VIN (`/history` answers `vin`, records repeat it): the
 * browser never has the VIN, so every string holding it gets it masked as Keyfob shows VINs everywhere (the last
 * four characters). A machine client asking by VIN gave the VIN itself and gets the answer as it is.
 */
import { maskVin } from '../../logging/mask.ts';

export function hideVin(value: unknown, vin: string): unknown {
  const pattern = new RegExp(vin, 'gi');
  const masked = maskVin(vin) as string;
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return node.replace(pattern, masked);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
    }
    return node;
  };
  return walk(value);
}
