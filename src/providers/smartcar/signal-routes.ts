/**
 * Which of Keyfob's routes read each Smartcar signal, so that a signal Smartcar reports the car cannot give
 * (a VEHICLE_ERROR of type COMPATIBILITY or PERMISSION naming its code) takes those routes out of the vehicle's
 * `features`. The codes are Smartcar's v3 signal codes, the same the webhooks and the v3 route table use.
 */
export const SMARTCAR_SIGNAL_ROUTES: Readonly<Record<string, readonly string[]>> = {
  'odometer-traveleddistance': ['GET /odometer'],
  'location-preciselocation': ['GET /location'],
  'tractionbattery-stateofcharge': ['GET /battery'],
  'tractionbattery-range': ['GET /battery'],
  'internalcombustionengine-fuellevel': ['GET /fuel'],
  'internalcombustionengine-range': ['GET /fuel'],
  'charge-ischarging': ['GET /charge'],
  'closure-islocked': ['GET /security'],
};
